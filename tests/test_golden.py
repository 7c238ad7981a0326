"""Byte identity: the same seed gives the same dataset as when tests/data/golden_hashes.json was
recorded. Sampled specs and part meshes are checked without Blender; two tiny frames of every
recipe are rendered through the real pipeline and their spec, pixels and COCO file compared.

numpy picks its math kernels (AVX-512 or not) and OpenBLAS its BLAS kernels by the CPU, and
they round differently in the last bit: a spec's floats, and now and then a choice that hinges on
one, differ between CPUs. So the hashes are computed in a child process with both pinned to
the AVX2 paths that every x86-64 CI machine has (`PINNED`): the same on any such machine.

Record again (only when a change of the output is intended):
    .venv/bin/python tests/test_golden.py --record
"""

import hashlib
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import cv2
import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from render.config import SCENES_DIR, load_quality, load_scene  # noqa: E402

DATA = Path(__file__).resolve().parent / "data"
GOLDEN = DATA / "golden_hashes.json"
RECIPES = [*sorted(SCENES_DIR.glob("*.yaml")), DATA / "tiny_scene.yaml"]
SAMPLED = 50  # specs per recipe, sampling only
RENDERED = 2  # frames per recipe through the whole pipeline
SEED = 1


def _quality():
    return load_quality("preview", resolution=(48, 48), samples=2, denoise=False)


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _spec_text(spec) -> str:
    """The spec's canonical JSON, with this checkout's path made neutral (a user mesh's path)."""
    from render.spec import dumps

    return dumps(spec).replace(str(ROOT), "<root>")


def _mesh_hash(spec) -> str:
    """Hash of the arrays that mesh.npz holds, as saved (dtype and bytes of each)."""
    from render.frames import prepare_frame

    h = hashlib.sha256()
    with tempfile.TemporaryDirectory() as tmp:
        prepare_frame(Path(tmp), spec)
        with np.load(Path(tmp) / "mesh.npz") as z:
            for name in sorted(z.files):
                a = np.ascontiguousarray(z[name])
                h.update(f"{name}:{a.dtype.str}:{a.shape}".encode())
                h.update(a.tobytes())
    return h.hexdigest()


def sampling_hashes() -> dict:
    """Per recipe: one hash over SAMPLED specs, and the mesh hash of each rendered frame."""
    from render.sampling.frame import sample_frame_spec

    out = {}
    quality = _quality()
    for path in RECIPES:
        recipe = load_scene(path)
        specs = [sample_frame_spec(recipe, quality, SEED, i) for i in range(1, SAMPLED + 1)]
        out[path.stem] = {"specs": _sha("".join(_spec_text(s) for s in specs).encode()),
                          "meshes": [_mesh_hash(s) for s in specs[:RENDERED]]}
    return out


def render_hashes(tmp: Path) -> dict:
    """Per recipe: spec.json, rgb.png pixels, dataset image pixels and the COCO file of RENDERED frames."""
    from render.cluster import Workers
    from render.pipeline import render_dataset

    out = {}
    quality = _quality()
    for path in RECIPES:
        recipe = load_scene(path)
        split, _ = render_dataset(recipe, quality, RENDERED, tmp / path.stem, SEED, workers=Workers(workers=1))
        frames = split.parent / "frames"
        entry = {"coco": _sha((split / "_annotations.coco.json").read_bytes()), "frames": []}
        for i in range(1, RENDERED + 1):
            d = frames / f"{i:06d}"
            rgb = cv2.imread(str(d / "rgb.png"), cv2.IMREAD_UNCHANGED)
            image = cv2.imread(str(split / f"{i:06d}.png"), cv2.IMREAD_UNCHANGED)
            spec_file = (d / "spec.json").read_text(encoding="utf-8").replace(str(ROOT), "<root>")
            entry["frames"].append({"spec": _sha(spec_file.encode()), "rgb": _sha(rgb.tobytes()),
                                    "image": _sha(image.tobytes())})
        out[path.stem] = entry
    return out


def golden() -> dict:
    return json.loads(GOLDEN.read_text())


def pinned_env() -> dict:
    """The environment that pins numpy's math kernels (no AVX-512 paths) and OpenBLAS's (Haswell,
    one thread): set before numpy loads, so only a child process can have it."""
    from numpy.core._multiarray_umath import __cpu_dispatch__

    return {**os.environ, "NPY_DISABLE_CPU_FEATURES": " ".join(f for f in __cpu_dispatch__ if f.startswith("AVX512")),
            "OPENBLAS_CORETYPE": "Haswell", "OPENBLAS_NUM_THREADS": "1"}


def pinned_hashes(part: str, tmp: Path) -> dict:
    """`sampling_hashes()` or `render_hashes()`, computed in a child process with `pinned_env()`."""
    out = tmp / f"{part}.json"
    subprocess.run([sys.executable, __file__, part, str(out)], env=pinned_env(), check=True, cwd=ROOT)
    return json.loads(out.read_text())


def test_sampled_specs_and_meshes_are_unchanged(tmp_path):
    want = golden()["sampling"]
    got = pinned_hashes("sampling", tmp_path)
    assert sorted(got) == sorted(want)
    for name in want:
        assert got[name] == want[name], name


@pytest.mark.blender
def test_rendered_frames_and_coco_are_unchanged(tmp_path):
    want = golden()["render"]
    got = pinned_hashes("render", tmp_path)
    for name in want:
        assert got[name] == want[name], name


def _main(argv: list[str]) -> None:
    if argv == ["--record"]:  # in a pinned child, like the tests
        with tempfile.TemporaryDirectory() as tmp:
            record = {part: pinned_hashes(part, Path(tmp)) for part in ("sampling", "render")}
        GOLDEN.write_text(json.dumps(record, indent=1, sort_keys=True) + "\n")
        print(f"wrote {GOLDEN}")
        return
    part, out = argv
    if part == "sampling":
        hashes = sampling_hashes()
    else:
        with tempfile.TemporaryDirectory() as tmp:
            hashes = render_hashes(Path(tmp))
    Path(out).write_text(json.dumps(hashes))


if __name__ == "__main__":
    _main(sys.argv[1:])
