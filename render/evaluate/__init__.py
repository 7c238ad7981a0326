"""Downstream check: train a detector on (synthetic) splits, score it on real images."""

import importlib

from render.errors import UserError

# PyTorch is an extra: `make render` does not install it (a CUDA build, ~5.5 GB)
INSTALL_EVAL = "make eval-deps (or .venv/bin/pip install -e '.[eval]')"


def require_torch(what: str = "evaluate", vision: bool = False) -> None:
    """Raise one clear UserError naming the install command where torch (or torchvision) is missing."""
    for module in ("torch", "torchvision")[: 1 + vision]:
        try:
            importlib.import_module(module)
        except ImportError:
            raise UserError(f"{what} needs {module}, which is not installed: run {INSTALL_EVAL}") from None
