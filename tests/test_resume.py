"""The dataset's bytes do not depend on how it was rendered: killed and resumed, in shards, on
several workers, with crashes and dead workers retried, or by a render node's Blender."""

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


def run(out, *extra, env=None, expect=0):
    res = subprocess.run(cmd(out, *extra), capture_output=True, text=True, cwd=ROOT, check=False,
                         env=None if env is None else {**os.environ, **env})
    assert res.returncode == expect, res.stderr[-2000:]
    return res


def crashing_blender(tmp_path) -> str:
    """A `blender` for --blender that fails on the frames named in CRASH_FRAMES."""
    exe = tmp_path / "blender"
    exe.write_text(f"#!/bin/sh\nexec {sys.executable} {ROOT / 'tests' / 'crashing_blender.py'} \"$@\"\n")
    exe.chmod(0o755)
    return str(exe)


def dataset(out) -> dict[str, bytes]:
    split = out / "tiny" / "train"
    return {p.name: p.read_bytes() for p in sorted(split.iterdir())}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    out = tmp_path_factory.mktemp("uninterrupted")
    run(out, "--workers", "1")
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


def test_two_local_workers_give_the_same_bytes(tmp_path, reference):
    run(tmp_path, "--workers", "2")
    report = json.loads((tmp_path / "tiny" / "report.json").read_text())
    assert (report["workers"], report["threads_per_worker"]) == (2, 1)
    assert len(list((tmp_path / "tiny" / "logs").glob("*.log"))) == 2  # one Blender per worker
    assert dataset(tmp_path) == reference


def test_a_running_dask_cluster_gives_the_same_bytes(tmp_path, reference):
    from distributed import LocalCluster

    with LocalCluster(n_workers=1, threads_per_worker=1, host="127.0.0.1", dashboard_address=None) as cluster:
        run(tmp_path, "--scheduler", cluster.scheduler_address)
    assert dataset(tmp_path) == reference


def test_a_crashing_frame_is_retried_then_reported_and_the_rest_kept(tmp_path, reference):
    res = run(tmp_path / "out", "--workers", "2", "--retries", "1", "--blender", crashing_blender(tmp_path),
              env={"CRASH_FRAMES": "2,5:once"}, expect=1)
    root = tmp_path / "out" / "tiny"
    assert "1 of 12 frames failed after their retries: 000002" in res.stderr
    report = json.loads((root / "report.json").read_text())
    assert list(report["failed"]) == ["000002"] and "SIGABRT" in report["failed"]["000002"]
    assert len(list(root.glob("logs/batch_000002_1_try*.log"))) == 1  # retried once, alone
    assert (root / "frames" / "000005" / "manifest.json").exists()  # crashed once, then rendered
    assert len(list(root.glob("frames/*/manifest.json"))) == N - 1
    assert not (root / "train").exists()
    run(tmp_path / "out")  # the crash is gone: only frame 2 is rendered
    assert json.loads((root / "report.json").read_text())["rendered"] == 1
    assert dataset(tmp_path / "out") == reference


def test_a_dead_worker_is_replaced_and_its_frames_rendered(tmp_path, reference):
    # Blender kills the Dask worker that started it while rendering frame 4, once
    run(tmp_path / "out", "--workers", "2", "--blender", crashing_blender(tmp_path),
        env={"CRASH_FRAMES": "4:kill-parent-once"})
    assert (tmp_path / "out" / "tiny" / "frames" / "000004" / "crashed_once").exists()
    assert dataset(tmp_path / "out") == reference


def test_render_node_command_gives_the_same_bytes(tmp_path, reference):
    """`blender -b --python-exit-code 1 -P blender_scripts/render_frames.py -- --frames-file F`,
    run as that command runs it: sys.argv as Blender sets it, the script run as __main__."""
    res = run(tmp_path, "--prepare-only")
    frames_file = tmp_path / "tiny" / "frames.txt"
    assert len(frames_file.read_text().split()) == N and "frames.txt" in res.stdout
    script = ROOT / "blender_scripts" / "render_frames.py"
    argv = ["blender", "-b", "--python-exit-code", "1", "-P", str(script), "--", "--frames-file", str(frames_file)]
    node = subprocess.run([sys.executable, "-c", f"import runpy, sys; sys.argv = {argv!r}; "
                           f"runpy.run_path({str(script)!r}, run_name='__main__')"],
                          capture_output=True, text=True, cwd=tmp_path, check=False)
    assert node.returncode == 0, node.stdout[-2000:] + node.stderr[-2000:]
    assert node.stdout.count('"event": "done"') == N
    run(tmp_path)  # assembles what the node rendered
    assert json.loads((tmp_path / "tiny" / "report.json").read_text())["rendered"] == 0
    assert dataset(tmp_path) == reference


def test_a_missing_gpu_backend_is_one_clear_line(tmp_path):
    if shutil.which("nvidia-smi"):
        pytest.skip("this machine has an NVIDIA GPU: --device cuda would render")
    res = run(tmp_path, "--device", "cuda", "--workers", "1", expect=2)
    assert "Traceback" not in res.stderr
    assert res.stderr.strip().splitlines()[-1] == (
        "error: --device cuda: Blender finds no CUDA device (no device); use --device auto (the best "
        "available) or --device cpu")


def test_device_auto_falls_back_to_the_cpu(tmp_path, reference):
    if shutil.which("nvidia-smi"):
        pytest.skip("this machine has an NVIDIA GPU: auto would pick it")
    run(tmp_path, "--device", "auto")
    manifest = json.loads((tmp_path / "tiny" / "frames" / "000001" / "manifest.json").read_text())
    assert manifest["device"] == "CPU"
    assert dataset(tmp_path) == reference


@pytest.mark.parametrize("n,batch,slots", [(150, 50, 2), (120, 50, 2), (20, 50, 2), (1, 50, 2), (7, 3, 2),
                                           (2000, 50, 3), (5, 1, 4)])
def test_batches_keep_every_worker_busy_to_the_end(n, batch, slots):
    from render.cluster import batch_bounds

    bounds = batch_bounds(n, batch, slots)
    sizes = [b - a for a, b in bounds]
    assert [a for a, _ in bounds[1:]] == [b for _, b in bounds[:-1]] and bounds[0][0] == 0 and bounds[-1][1] == n
    assert max(sizes) <= batch and max(sizes) - min(sizes) <= 1
    # each worker gets the same number of batches (or every batch is one frame and there are fewer)
    assert len(bounds) % slots == 0 or len(bounds) == n
