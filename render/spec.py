"""Frame specs: the complete, final description of one frame, as JSON.

A spec holds only final values (no ranges, no seeds to draw from), so Blender can render it
without making a single random choice, and a frame can be re-rendered from its spec alone.
Lengths are millimetres, angles radians unless the key says `_deg`, colours linear RGB.

Top-level keys: schema_version, frame_index, seed, render, part, defects, material, lights,
world, ground, camera, categories (defect category name -> COCO category id).
"""

import json
import os
import shutil
from pathlib import Path

from render.errors import UserError

SCHEMA_VERSION = 1


def dumps(obj) -> str:
    """Canonical JSON: the same spec always gives the same bytes."""
    return json.dumps(obj, sort_keys=True, indent=1, allow_nan=False) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write to a temporary name, then rename, so a crash never leaves a half-written file."""
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


def write_spec(path: Path, spec: dict) -> None:
    write_atomic(path, dumps(spec))


def read_spec(path: Path) -> dict:
    spec = json.loads(Path(path).read_text(encoding="utf-8"))
    version = spec.get("schema_version")
    if version != SCHEMA_VERSION:
        raise UserError(f"{path}: spec schema_version {version} is not supported (this tool reads {SCHEMA_VERSION})")
    return spec
