"""Frame directories: their names, their completion marker and their preparation.

<root>/frames/000001/ holds spec.json and mesh.npz (written here, before rendering), then
rgb.png, ids.exr and, last, manifest.json (written by Blender, with the size and SHA-256 of
rgb.png and ids.exr): a frame whose manifest is from the same spec and whose files still match
it is done and never rendered again; a frame whose files were damaged since is rendered anew.
"""

import io
import json
import os
from pathlib import Path

from render.files import file_digest, write_atomic, write_bytes_atomic
from render.fixtures import build_frame_mesh
from render.spec import MANIFEST_FILE, MESH_FILE, SPEC_FILE, FrameSpec, dumps


def frame_name(index: int) -> str:
    return f"{index:06d}"


def frame_dir(root: Path, index: int) -> Path:
    return Path(root) / "frames" / frame_name(index)


def files_intact(directory: Path) -> bool:
    """The manifest exists and every file it lists has the size and checksum it recorded.

    A manifest without checksums (written before they were recorded) cannot vouch for its files.
    """
    directory = Path(directory)
    try:
        manifest = json.loads((directory / MANIFEST_FILE).read_text(encoding="utf-8"))
        digests = manifest["digests"]
        for role, want in digests.items():
            path = directory / manifest["files"][role]
            if os.path.getsize(path) != want["bytes"] or file_digest(path) != want:  # size first: cheap
                return False
        return bool(digests)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return False


def is_rendered(root: Path, index: int) -> bool:
    """The frame is complete: its manifest exists and its files are intact."""
    return files_intact(frame_dir(root, index))


def prepare_frame(directory: Path, spec: FrameSpec) -> bool:
    """Write the spec and the part mesh unless the frame is already rendered from the same spec.

    Returns True when the frame still needs rendering.
    """
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    text = dumps(spec)
    spec_path, manifest = directory / SPEC_FILE, directory / MANIFEST_FILE
    if spec_path.exists() and spec_path.read_text(encoding="utf-8") == text and files_intact(directory):
        return False
    manifest.unlink(missing_ok=True)
    write_atomic(spec_path, text)
    mesh = build_frame_mesh(spec)
    buf = io.BytesIO()  # numpy leaves a zip file it failed to write open: build it in memory
    mesh.save(buf)
    write_bytes_atomic(directory / MESH_FILE, buf.getvalue())
    return True
