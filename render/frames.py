"""Frame directories: their names, their completion marker and their preparation.

<root>/frames/000001/ holds spec.json and mesh.npz (written here, before rendering), then
rgb.png, ids.exr and, last, manifest.json (written by Blender): a frame with a manifest from
the same spec is done and never rendered again.
"""

import os
from pathlib import Path

from render.files import write_atomic
from render.fixtures import build_frame_mesh
from render.spec import MANIFEST_FILE, MESH_FILE, SPEC_FILE, FrameSpec, dumps


def frame_name(index: int) -> str:
    return f"{index:06d}"


def frame_dir(root: Path, index: int) -> Path:
    return Path(root) / "frames" / frame_name(index)


def is_rendered(root: Path, index: int) -> bool:
    """The frame's completion marker exists."""
    return (frame_dir(root, index) / MANIFEST_FILE).exists()


def prepare_frame(directory: Path, spec: FrameSpec) -> bool:
    """Write the spec and the part mesh unless the frame is already rendered from the same spec.

    Returns True when the frame still needs rendering.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    text = dumps(spec)
    spec_path, manifest = directory / SPEC_FILE, directory / MANIFEST_FILE
    if manifest.exists() and spec_path.exists() and spec_path.read_text(encoding="utf-8") == text:
        return False
    manifest.unlink(missing_ok=True)
    write_atomic(spec_path, text)
    mesh = build_frame_mesh(spec)
    tmp = directory / ("tmp." + MESH_FILE)
    mesh.save(tmp)
    os.replace(tmp, directory / MESH_FILE)
    return True
