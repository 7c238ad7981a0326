"""Issue 12: no input, crash, race or full disk may lose or corrupt data.

Each case ends in one `error:` line naming the file, flag or key (exit 2 for bad input, 1 for a
run that failed), the previous output untouched and nothing left behind (tests/refusals.py).
"""

import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import DATA, ROOT
from refusals import assert_refused, invoke, leftovers, run_cli
from splits import corrupt, toy_split

from render.dataset.validate import validate_split

TINY = DATA / "tiny_scene.yaml"
RENDER = ("--scene", TINY, "--n", "3", "--seed", "5", "--resolution", "64x64", "--samples", "2", "--workers", "1")


def recipe(tmp_path: Path, old: str, new: str, name: str = "scene.yaml") -> Path:
    text = TINY.read_text()
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new))
    return path


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(Path(root).rglob("*")) if p.is_file()}


def dataset(out: Path) -> dict[str, bytes]:
    return tree(out / "tiny" / "train")


# ---- 1. names that lead out of --out ---------------------------------------------------------
@pytest.mark.parametrize("name", ["..", "."])
def test_a_recipe_name_that_is_not_a_plain_file_name_writes_nothing_outside_out(tmp_path, name):
    (tmp_path / "train").mkdir()
    (tmp_path / "train" / "keep.txt").write_text("mine")
    scene = recipe(tmp_path, "name: tiny", f"name: '{name}'")
    out = tmp_path / "out"
    assert_refused(invoke("render", "--scene", scene, "--out", out, "--n", "1", "--prepare-only"), str(scene), "name")
    assert tree(tmp_path / "train") == {"keep.txt": b"mine"} and not out.exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scene.yaml", "train"]


def test_paths_are_checked_to_stay_under_their_directory(tmp_path):
    from render.errors import UserError
    from render.files import inside, plain_name

    assert inside(tmp_path, "a", "b") == tmp_path / "a" / "b"
    for bad in ("..", ".", "a/../..", "/etc"):
        with pytest.raises(UserError, match="not inside"):
            inside(tmp_path, bad)
    for bad in ("", ".", "..", "a/b", "a\\b"):
        with pytest.raises(UserError, match="plain file name"):
            plain_name(bad, "the name")


# ---- 2. two renders into one --out ------------------------------------------------------------
@pytest.mark.blender
def test_a_second_render_into_the_same_out_is_refused_while_the_first_runs(tmp_path):
    out, go = tmp_path / "out", tmp_path / "go"
    blender = tmp_path / "blender"
    blender.write_text(f"#!/bin/sh\nexec {sys.executable} {ROOT / 'tests' / 'crashing_blender.py'} \"$@\"\n")
    blender.chmod(0o755)
    first = subprocess.Popen([sys.executable, "-m", "render.cli", "render", "--out", str(out), *map(str, RENDER),
                              "--blender", str(blender)], cwd=ROOT, env={**os.environ, "HOLD_UNTIL": str(go)},
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.time() + 60  # the first run is in Blender (held) once its batch log exists
        while time.time() < deadline and not list((out / "tiny" / "logs").glob("*.log")):
            time.sleep(0.1)
        assert list((out / "tiny" / "logs").glob("*.log")), "the first run did not start"
        assert_refused(run_cli("render", "--out", out, *RENDER), str(out / "tiny"), "another defectsynth run")
        go.touch()
        _, err = first.communicate(timeout=300)
    finally:
        first.kill()
    assert first.returncode == 0, err[-2000:]
    assert validate_split(out / "tiny" / "train").ok and not leftovers(out)


def test_the_render_lock_is_exclusive_between_processes(tmp_path):
    """Without Blender: a process holding the lock makes a second one refuse, and then lets it in."""
    from render.errors import UserError
    from render.pipeline import output_lock

    root = tmp_path / "tiny"
    code = (f"import sys, time; sys.path.insert(0, {str(ROOT)!r}); from pathlib import Path; "
            f"from render.pipeline import output_lock\nwith output_lock(Path({str(root)!r})):\n"
            f"    print('locked', flush=True); time.sleep(30)")
    holder = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        with pytest.raises(UserError, match="being written by another defectsynth run"):
            with output_lock(root):
                pass
    finally:
        holder.kill()
        holder.wait()
    with output_lock(root):  # released with its process
        pass


# ---- 3. slice and compose refuse bad input ------------------------------------------------------
LABEL_CORRUPTIONS = ["duplicate_image_id", "rle_size_differs", "unknown_image_id", "category_id_0",
                     "unknown_category_id"]


@pytest.mark.parametrize("kind", LABEL_CORRUPTIONS)
def test_slice_and_compose_refuse_input_that_validate_rejects(tmp_path, kind):
    ref = toy_split(tmp_path / "ref", ["a", "b"], 3, seed=1)
    bad = corrupt(toy_split(tmp_path / "bad", ["a", "b"], 4, seed=2), kind)
    first_problem = validate_split(bad).errors[0]
    line = assert_refused(invoke("slice", bad, "--out", tmp_path / "tiles", "--tile", "40"), str(bad),
                          "fails validation")
    assert first_problem in line
    line = assert_refused(invoke("compose", "--reference", ref, "--synthetic", bad, "--out", tmp_path / "final",
                                 "--sample", "0"), str(bad), "fails validation")
    assert first_problem in line
    assert_refused(invoke("compose", "--reference", bad, "--synthetic", ref, "--out", tmp_path / "final"),
                   "--reference", "fails validation")
    assert not (tmp_path / "tiles").exists() and not (tmp_path / "final").exists() and not leftovers(tmp_path)


# ---- 4. categories; the split is validated before it replaces train/ -----------------------------
@pytest.mark.parametrize("name", ['""', "'  '"])
def test_a_category_name_must_not_be_empty(tmp_path, name):
    scene = recipe(tmp_path, "categories: [scratch, dent]", f"categories: [{name}, dent]")
    scene.write_text(scene.read_text().replace("scratch: {", f"scratch: {{category: {name}, "))
    assert_refused(invoke("render", "--scene", scene, "--out", tmp_path / "out", "--prepare-only"),
                   str(scene), "categories", "needs a name")
    assert not (tmp_path / "out").exists()


def test_a_split_is_replaced_whole_and_a_commit_cut_short_is_undone(tmp_path):
    from render.files import building

    out = tmp_path / "train"
    with building(out) as tmp:
        (tmp / "a").write_text("1")
    with pytest.raises(RuntimeError), building(out) as tmp:
        (tmp / "b").write_text("2")
        raise RuntimeError("failed half way")
    assert tree(out) == {"a": b"1"} and not leftovers(tmp_path)
    out.rename(tmp_path / "train.old")  # killed between the commit's two renames
    with building(out) as tmp:
        assert tree(out) == {"a": b"1"}  # the previous split is back before anything else happens
        (tmp / "c").write_text("3")
    assert tree(out) == {"c": b"3"} and not leftovers(tmp_path)


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """A finished tiny run (3 frames, 64 px): tests copy it and damage the copy."""
    out = tmp_path_factory.mktemp("rendered")
    code, _, err = run_cli("render", "--out", out, *RENDER)
    assert code == 0, err[-2000:]
    return out


@pytest.mark.blender
def test_a_split_that_fails_validation_leaves_the_previous_train_untouched(tmp_path, rendered, monkeypatch):
    from render import pipeline
    from render.config import load_quality, load_scene
    from render.dataset.validate import ValidationReport
    from render.errors import RunFailed

    out = tmp_path / "out"
    shutil.copytree(rendered, out)
    before = dataset(out)
    monkeypatch.setattr(pipeline, "validate_split", lambda split: ValidationReport(errors=["annotation 1: broken"]))
    with pytest.raises(RunFailed, match="fails validation .* left as it was; first problem: annotation 1: broken"):
        pipeline.render_dataset(load_scene(TINY), load_quality("preview", resolution=(64, 64), samples=2), 3, out, 5,
                                workers=pipeline.Workers(workers=1))
    assert dataset(out) == before and not leftovers(out)


# ---- 5. resume verifies what it trusts ------------------------------------------------------------
@pytest.mark.blender
@pytest.mark.parametrize("damaged", ["rgb.png", "ids.exr"])
def test_a_frame_damaged_after_it_was_rendered_is_rendered_again(tmp_path, rendered, damaged):
    out = tmp_path / "out"
    shutil.copytree(rendered, out)
    path = out / "tiny" / "frames" / "000002" / damaged
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    code, _, err = run_cli("render", "--out", out, *RENDER)
    assert code == 0, err[-2000:]
    assert json.loads((out / "tiny" / "report.json").read_text())["rendered"] == 1
    assert dataset(out) == dataset(rendered)


@pytest.mark.blender
def test_a_frame_that_does_not_decode_though_its_checksums_match_is_rendered_again(tmp_path, rendered):
    """Blender writes a file it could not finish, on a full disk, without an error (an empty
    rgb.png): its checksum then vouches for it. The assembly finds it and drops the manifest."""
    from render.files import file_digest

    out = tmp_path / "out"
    shutil.copytree(rendered, out)
    frame = out / "tiny" / "frames" / "000002"
    (frame / "rgb.png").write_bytes(b"")
    manifest = json.loads((frame / "manifest.json").read_text())
    manifest["digests"]["rgb"] = file_digest(frame / "rgb.png")
    (frame / "manifest.json").write_text(json.dumps(manifest))
    assert_refused(run_cli("render", "--out", out, *RENDER), str(frame), "rgb.png does not decode",
                   "run the same command again", code=1)
    assert dataset(out) == dataset(rendered) and not leftovers(out)
    code, _, err = run_cli("render", "--out", out, *RENDER)
    assert code == 0, err[-2000:]
    assert json.loads((out / "tiny" / "report.json").read_text())["rendered"] == 1
    assert dataset(out) == dataset(rendered)


def test_a_manifest_is_trusted_only_while_its_files_match(tmp_path):
    from render.files import file_digest
    from render.frames import files_intact

    d = tmp_path / "000001"
    d.mkdir()
    (d / "rgb.png").write_bytes(b"pixels")
    (d / "ids.exr").write_bytes(b"ids")
    files = {"rgb": "rgb.png", "ids": "ids.exr"}
    (d / "manifest.json").write_text(json.dumps({"files": files}))
    assert not files_intact(d)  # no checksums: nothing to vouch for the files
    digests = {k: file_digest(d / v) for k, v in files.items()}
    (d / "manifest.json").write_text(json.dumps({"files": files, "digests": digests}))
    assert files_intact(d)
    (d / "ids.exr").write_bytes(b"idz")  # same size, other bytes
    assert not files_intact(d)
    (d / "ids.exr").write_bytes(b"ids")
    (d / "rgb.png").unlink()
    assert not files_intact(d)


# ---- 6. every writer checks its write -----------------------------------------------------------
def test_preview_into_a_missing_directory_is_refused(tmp_path):
    split = toy_split(tmp_path / "s", ["a"], 2)
    assert_refused(invoke("preview", split, "--out", tmp_path / "missing_dir" / "x.png"), "missing_dir", "--out")
    assert_refused(invoke("preview", split, "--out", tmp_path / "sheet.txt"), "sheet.txt")
    assert_refused(invoke("stats", split, "--json", tmp_path / "missing_dir" / "s.json"), "--json", "missing_dir")
    assert not (tmp_path / "missing_dir").exists()


def test_an_image_write_that_fails_raises(tmp_path):
    from render.dataset.coco import write_image

    with pytest.raises(FileNotFoundError):
        write_image(tmp_path / "missing" / "x.png", np.zeros((4, 4, 3), np.uint8))
    assert write_image(tmp_path / "x.png", np.zeros((4, 4, 3), np.uint8)).stat().st_size > 0


# ---- tracebacks that are one line now -------------------------------------------------------------
@pytest.mark.parametrize(("old", "new", "key"), [
    ("width: [30, 40]", "width: [.nan, 40]", "parts.plate.width"),
    ("depth: [0.8, 1.2]", "depth: [0.8, .inf]", "defects.dent.depth"),
    ("thickness: [3, 5]}", "thickness: [3, 5], weight: .nan}", "parts.plate.weight"),
    ("length: [8, 14]}", "length: [8, 14], weight: .inf}", "defects.scratch.weight"),
])
def test_nan_or_inf_in_a_recipe_is_refused_at_load_naming_the_key(tmp_path, old, new, key):
    scene = recipe(tmp_path, old, new)
    assert_refused(invoke("render", "--scene", scene, "--out", tmp_path / "out", "--prepare-only"), str(scene), key,
                   "finite")
    assert not (tmp_path / "out").exists()


def test_negative_seeds_are_refused(tmp_path):
    split = toy_split(tmp_path / "s", ["a"], 2)
    for args, flag in [(("render", "--scene", TINY, "--out", tmp_path / "o", "--seed", "-1"), "--seed"),
                       (("slice", split, "--out", tmp_path / "o", "--seed", "-3"), "--seed"),
                       (("compose", "--reference", split, "--synthetic", split, "--out", tmp_path / "o", "--sample",
                         "-1"), "--sample"),
                       (("augment", split, "--copy-paste", "--out", tmp_path / "o", "--n", "2", "--seed", "-1"),
                        "--seed")]:
        assert_refused(invoke(*args), flag)
    assert not (tmp_path / "o").exists()


def test_out_name_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "tiny").write_text("not a directory")
    assert_refused(invoke("render", "--scene", TINY, "--out", tmp_path, "--n", "1"), str(tmp_path / "tiny"), "file")
    assert (tmp_path / "tiny").read_text() == "not a directory"


@pytest.mark.parametrize("value", ["nan", "inf", "-1", "0"])
def test_max_factor_must_be_a_positive_number(tmp_path, value):
    split = toy_split(tmp_path / "s", ["a"], 2)
    assert_refused(invoke("validate", split, "--reference", split, "--max-factor", value), "--max-factor")
    assert_refused(invoke("compose", "--reference", split, "--synthetic", split, "--out", tmp_path / "o",
                          "--max-factor", value), "--max-factor")
    assert_refused(invoke("augment", split, "--copy-paste", "--out", tmp_path / "o", "--n", "2",
                          "--max-factor", value), "--max-factor")
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize("kind", ["top_level_is_a_list", "category_id_is_a_list", "two_point_polygon",
                                  "missing_image_file"])
def test_malformed_coco_is_one_line_in_every_tool(tmp_path, kind):
    ref = toy_split(tmp_path / "ref", ["a", "b"], 3, seed=1)
    bad = corrupt(toy_split(tmp_path / "bad", ["a", "b"], 3, seed=2, mode="polygon"), kind)
    code, out, err = invoke("validate", bad)
    assert code == 1 and "ERROR" in out and "Traceback" not in err
    assert_refused(invoke("slice", bad, "--out", tmp_path / "o", "--tile", "40"), str(bad))
    assert_refused(invoke("compose", "--reference", ref, "--synthetic", bad, "--out", tmp_path / "o", "--sample", "0"),
                   str(bad))
    assert_refused(invoke("preview", bad, "--out", tmp_path / "p.png"), str(bad))
    assert_refused(invoke("stats", bad), str(bad))
    assert_refused(invoke("report", bad, "--out", tmp_path / "r.html"), str(bad))
    assert_refused(invoke("augment", bad, "--copy-paste", "--out", tmp_path / "o", "--n", "2"), str(bad))
    assert not any((tmp_path / name).exists() for name in ("o", "p.png", "r.html"))


def test_an_annotation_of_a_category_the_split_does_not_list_is_refused_by_compose(tmp_path):
    ref = toy_split(tmp_path / "ref", ["a", "b"], 3, seed=1)
    syn = corrupt(toy_split(tmp_path / "syn", ["a"], 3, seed=2), "unknown_category_id")
    assert_refused(invoke("compose", "--reference", ref, "--synthetic", syn, "--out", tmp_path / "o"),
                   "category_id 99 is not a known category")


def test_a_category_with_no_defect_type_is_refused(tmp_path):
    scene = recipe(tmp_path, "categories: [scratch, dent]", "categories: [scratch, dent, pit]")
    assert_refused(invoke("render", "--scene", scene, "--out", tmp_path / "o", "--prepare-only"), str(scene),
                   "'pit'", "no defect type")


def test_a_key_given_twice_in_a_recipe_is_refused(tmp_path):
    scene = recipe(tmp_path, "camera:\n", "camera:\n  tilt: [0, 10]\n")
    assert_refused(invoke("render", "--scene", scene, "--out", tmp_path / "o", "--prepare-only"), str(scene),
                   "duplicate key 'tilt'", "line 14")


def test_a_resolution_or_samples_error_names_the_flag_or_the_recipe_key(tmp_path):
    assert_refused(invoke("render", "--scene", TINY, "--out", tmp_path / "o", "--resolution", "4x4"),
                   "--resolution: resolution must be within 8..16384")
    assert_refused(invoke("render", "--scene", TINY, "--out", tmp_path / "o", "--samples", "0"), "--samples:")
    scene = recipe(tmp_path, "camera:\n", "camera:\n  resolution: [4, 4]\n")
    assert_refused(invoke("render", "--scene", scene, "--out", tmp_path / "o"), str(scene), "camera.resolution")
    assert not (tmp_path / "o").exists()


def test_a_missing_blender_is_refused_before_anything_is_written(tmp_path):
    assert_refused(invoke("render", "--scene", TINY, "--out", tmp_path / "o", "--blender", tmp_path / "nonexistent"),
                   "--blender", "no such executable")
    assert not (tmp_path / "o").exists()


@pytest.mark.blender
def test_a_missing_gpu_backend_is_refused_before_anything_is_written(tmp_path):
    if shutil.which("nvidia-smi"):
        pytest.skip("this machine has an NVIDIA GPU: --device cuda would render")
    assert_refused(run_cli("render", "--scene", TINY, "--out", tmp_path / "o", "--device", "cuda"),
                   "--device cuda: Blender finds no CUDA device")
    assert not (tmp_path / "o").exists()


# ---- a full disk ------------------------------------------------------------------------------------
def file_size_limit(nbytes: int):
    """preexec_fn: writes past nbytes fail with EFBIG (SIGXFSZ ignored), like a disk that is full."""
    def setup():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (nbytes, nbytes))
    return setup


@pytest.fixture
def small_disk(tmp_path):
    """A 3 MB tmpfs, or a skip where mounting needs rights this machine does not give."""
    disk = tmp_path / "disk"
    disk.mkdir()
    try:
        res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(disk)], capture_output=True,
                             text=True, check=False)
    except FileNotFoundError:
        pytest.skip("no `mount` command here; the file-size-limit variants test the same error path")
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({res.stderr.strip()}): needs root; the file-size-limit variants "
                    "test the same error path")
    yield disk
    subprocess.run(["umount", "-l", str(disk)], check=False)


def fill(disk: Path, leave: int) -> Path:
    """A file that takes all but about `leave` bytes of the disk."""
    st = os.statvfs(disk)
    filler = disk / "filler"
    filler.write_bytes(b"\0" * max(0, st.f_bavail * st.f_frsize - leave))
    return filler


def dataset_commands(tmp_path: Path, out: Path) -> list[tuple[str, ...]]:
    ref = toy_split(tmp_path / "ref", ["a", "b"], 3, seed=1)
    syn = toy_split(tmp_path / "syn", ["a", "b"], 8, size=(160, 120), seed=2)
    return [("slice", syn, "--out", out / "tiles", "--tile", "64", "--keep-empty", "1"),
            ("compose", "--reference", ref, "--synthetic", syn, "--out", out / "final", "--copy")]


@pytest.mark.parametrize("command", ["slice", "compose"])
def test_a_full_disk_in_slice_and_compose_is_one_line_and_leaves_nothing(tmp_path, small_disk, command):
    args = next(c for c in dataset_commands(tmp_path, small_disk) if c[0] == command)
    filler = fill(small_disk, 40_000)
    assert_refused(run_cli(*args), "no space left on device while writing", str(small_disk), code=1)
    assert sorted(p.name for p in small_disk.iterdir()) == ["filler"]
    filler.unlink()
    code, _, err = run_cli(*args)
    assert code == 0, err[-2000:]
    assert validate_split(Path(args[args.index("--out") + 1])).ok


@pytest.mark.parametrize("command", ["slice", "compose"])
def test_a_file_size_limit_in_slice_and_compose_is_one_line_and_leaves_nothing(tmp_path, command):
    out = tmp_path / "out"
    out.mkdir()
    args = next(c for c in dataset_commands(tmp_path, out) if c[0] == command)
    assert_refused(run_cli(*args, preexec_fn=file_size_limit(10_000)), "while writing", str(out), code=1)
    assert not list(out.iterdir())
    code, _, err = run_cli(*args)
    assert code == 0, err[-2000:]


@pytest.mark.blender
def test_a_full_disk_in_render_is_one_line_and_a_rerun_completes(tmp_path, small_disk, rendered):
    filler = fill(small_disk, 1_500_000)  # room for a frame's mesh (~1 MB), not for three
    assert_refused(run_cli("render", "--out", small_disk, *RENDER), "no space left on device while writing",
                   str(small_disk), code=1)
    assert not leftovers(small_disk) and not (small_disk / "tiny" / "train").exists()
    filler.unlink()
    code, _, err = run_cli("render", "--out", small_disk, *RENDER)
    assert code == 0, err[-2000:]
    assert dataset(small_disk) == dataset(rendered) and not leftovers(small_disk)


@pytest.mark.blender
def test_a_file_size_limit_in_render_is_one_line_and_a_rerun_completes(tmp_path, rendered):
    out = tmp_path / "out"
    assert_refused(run_cli("render", "--out", out, *RENDER, preexec_fn=file_size_limit(200_000)), "mesh.npz",
                   "while writing", code=1)
    assert not leftovers(out) and not (out / "tiny" / "train").exists()
    code, _, err = run_cli("render", "--out", out, *RENDER)
    assert code == 0, err[-2000:]
    assert dataset(out) == dataset(rendered)


@pytest.mark.blender
@pytest.mark.parametrize("how", ["full_disk", "file_size_limit"])
def test_a_full_disk_while_the_split_is_assembled_keeps_the_previous_split(tmp_path, rendered, request, how):
    """Every frame is there, so the run goes straight to writing train.partial/, and fails in it."""
    if how == "full_disk":
        out, preexec = request.getfixturevalue("small_disk"), None
    else:
        out, preexec = tmp_path / "out", file_size_limit(2_000)  # an image is ~10 kB
    shutil.copytree(rendered, out, dirs_exist_ok=True)
    filler = fill(out, 4_000) if how == "full_disk" else None
    before = dataset(out)
    assert_refused(run_cli("render", "--out", out, *RENDER, preexec_fn=preexec), "while writing",
                   str(out / "tiny" / "train.partial"), code=1)
    assert dataset(out) == before and not leftovers(out)
    if filler:
        filler.unlink()
    code, _, err = run_cli("render", "--out", out, *RENDER)
    assert code == 0, err[-2000:]
    assert dataset(out) == before
