"""Files that are whole or absent: a crash never leaves a half-written file or output directory.

Standard library only (Blender's Python writes its manifests with it too).
"""

import os
import shutil
from pathlib import Path


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary name, then rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def begin_partial(out: Path) -> Path:
    """A fresh `<out>.partial` directory to build an output in, before commit_partial."""
    tmp = Path(out).with_name(Path(out).name + ".partial")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    return tmp


def commit_partial(tmp: Path, out: Path) -> Path:
    """Replace `out` with the finished partial directory in one rename."""
    out = Path(out)
    shutil.rmtree(out, ignore_errors=True)
    out.parent.mkdir(parents=True, exist_ok=True)
    os.replace(tmp, out)
    return out
