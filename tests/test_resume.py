"""A killed run resumes to the same dataset; shards merge into the same dataset as one run."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest
from conftest import DATA, ROOT

pytestmark = pytest.mark.blender

N = 12


def cmd(out, *extra):
    return [sys.executable, "-m", "render.cli", "render", "--scene", str(DATA / "tiny_scene.yaml"), "--n", str(N),
            "--out", str(out), "--seed", "11", "--resolution", "64x64", "--samples", "2", *extra]


def run(out, *extra):
    res = subprocess.run(cmd(out, *extra), capture_output=True, text=True, cwd=ROOT, check=False)
    assert res.returncode == 0, res.stderr[-2000:]


def dataset(out) -> dict[str, bytes]:
    split = out / "tiny" / "train"
    return {p.name: p.read_bytes() for p in sorted(split.iterdir())}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("uninterrupted")
    run(out)
    return dataset(out)


def test_sigkill_mid_run_then_resume_gives_the_same_bytes(tmp_path, reference):
    out = tmp_path / "killed"
    proc = subprocess.Popen(cmd(out), cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    frames = out / "tiny" / "frames"
    deadline = time.time() + 120
    while time.time() < deadline and len(list(frames.glob("*/manifest.json"))) < 3:
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)  # the CLI and its Blender child, like a power loss
    proc.wait()
    done = len(list(frames.glob("*/manifest.json")))
    assert 3 <= done < N, f"the kill came too late to test anything ({done} frames done)"
    assert not (out / "tiny" / "train").exists()
    run(out)
    report = json.loads((out / "tiny" / "report.json").read_text())
    assert report["rendered"] == N - done
    assert dataset(out) == reference


def test_two_shards_merge_into_the_same_dataset(tmp_path, reference):
    a, b = tmp_path / "a", tmp_path / "b"
    run(a, "--shard", "1/2")
    run(b, "--shard", "2/2")
    assert not (a / "tiny" / "train").exists()
    assert len(list((a / "tiny" / "frames").glob("*/manifest.json"))) == N // 2
    for d in (b / "tiny" / "frames").iterdir():
        shutil.copytree(d, a / "tiny" / "frames" / d.name)
    run(a)
    assert json.loads((a / "tiny" / "report.json").read_text())["rendered"] == 0
    assert dataset(a) == reference
