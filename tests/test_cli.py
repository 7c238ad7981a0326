"""Bad input: one clear line, exit code 2, no traceback, nothing written."""

import os
import subprocess
import sys

import pytest
from conftest import DATA, ROOT


def run_cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "render.cli", *args], capture_output=True, text=True, cwd=cwd or ROOT)


def assert_one_line_error(res, *needles):
    assert res.returncode == 2, (res.stdout, res.stderr)
    assert "Traceback" not in res.stderr
    lines = [ln for ln in res.stderr.splitlines() if ln.strip()]
    assert len(lines) == 1, lines
    for n in needles:
        assert n in lines[0], lines[0]


@pytest.fixture
def bad_scene(tmp_path):
    def make(text):
        p = tmp_path / f"bad{len(list(tmp_path.glob('bad*.yaml')))}.yaml"
        p.write_text(text)
        return str(p)

    return make


def test_bad_inputs(tmp_path, bad_scene):
    out = tmp_path / "out"
    cases = [
        (["--scene", str(tmp_path / "missing.yaml")], "scene recipe not found"),
        (["--scene", bad_scene("name: [unclosed\n")], "not valid YAML"),
        (["--scene", bad_scene((ROOT / "scenes/metal_parts.yaml").read_text() + "extra_key: 1\n")],
         "unknown key 'extra_key'"),
        (["--n", "0"], "--n must be at least 1"),
        (["--quality", "ultra"], "unknown quality preset 'ultra'"),
        (["--resolution", "big"], "--resolution must look like"),
    ]
    for args, needle in cases:
        assert_one_line_error(run_cli("render", "--out", str(out), *args), needle)
    assert not out.exists()


def test_output_path_that_is_a_file(tmp_path):
    f = tmp_path / "file"
    f.write_text("x")
    assert_one_line_error(run_cli("render", "--n", "1", "--out", str(f)), "output path is a file")
    assert_one_line_error(run_cli("render", "--n", "1", "--out", str(f / "sub")), "not writable")
    assert f.read_text() == "x"


def test_help_explains():
    res = run_cli("render", "--help")
    assert res.returncode == 0 and "--quality" in res.stdout and "Root seed" in res.stdout


def test_validate_reports_problems_and_exits_nonzero(tmp_path):
    res = run_cli("validate", str(tmp_path))
    assert res.returncode == 1 and "ERROR" in res.stdout and "not found" in res.stdout


def test_dataset_commands(tmp_path):
    from splits import toy_split

    ref = toy_split(tmp_path / "ref", ["crack", "fray"], 3, seed=1)
    syn = toy_split(tmp_path / "syn", ["fray"], 4, seed=2)
    res = run_cli("slice", str(syn), "--out", str(tmp_path / "tiles"), "--tile", "40", "--keep-empty", "1")
    assert res.returncode == 0, res.stderr
    out = tmp_path / "final"
    res = run_cli("compose", "--reference", str(ref), "--synthetic", str(tmp_path / "tiles"), "--out", str(out),
                  "--sample", "0")
    assert res.returncode == 0, res.stderr
    assert run_cli("validate", str(out), "--reference", str(ref)).returncode == 0
    res = run_cli("preview", str(out), "--out", str(tmp_path / "sheet.png"), "--n", "6")
    assert res.returncode == 0 and (tmp_path / "sheet.png").stat().st_size > 0
    res = run_cli("stats", str(out), "--json", str(tmp_path / "s.json"), "--plot", str(tmp_path / "s.png"))
    assert res.returncode == 0 and "instances per category" in res.stdout and (tmp_path / "s.png").exists()
    # user mistakes: one line each
    assert_one_line_error(run_cli("slice", str(tmp_path / "nope"), "--out", str(tmp_path / "x")), "not a COCO split")
    assert_one_line_error(run_cli("slice", str(syn), "--out", str(tmp_path / "x"), "--overlap", "1.5"), "--overlap")
    assert_one_line_error(run_cli("compose", "--reference", str(ref), "--synthetic", str(syn), "--out", str(out)),
                          "not empty")


def test_a_blender_that_cannot_start_stops_the_run_with_one_message(tmp_path):
    res = subprocess.run([sys.executable, "-m", "render.cli", "render", "--scene", str(DATA / "tiny_scene.yaml"),
                          "--n", "3", "--out", str(tmp_path), "--workers", "1", "--blender", "/bin/false"],
                         capture_output=True, text=True, cwd=ROOT, check=False)
    assert res.returncode == 2 and "Traceback" not in res.stderr
    assert "error: Blender did not start: Blender exited with code 1" in res.stderr
    assert len(list((tmp_path / "tiny" / "logs").glob("*.log"))) == 1  # tried once, not once per frame


def test_evaluate_without_torch_names_the_install_command(tmp_path):
    """`make render` installs no PyTorch: evaluate says in one line what installs it."""
    (tmp_path / "torch.py").write_text("raise ImportError('hidden by the test')\n")  # found before the real one
    res = subprocess.run([sys.executable, "-m", "render.cli", "evaluate", "--train", str(tmp_path), "--val",
                          str(tmp_path / "val"), "--out", str(tmp_path / "e")], capture_output=True, text=True,
                         cwd=ROOT, env={**os.environ, "PYTHONPATH": str(tmp_path)})
    assert_one_line_error(res, "evaluate needs torch", "make eval-deps")


def test_every_command_shows_an_example():
    assert "Examples:" in run_cli("--help").stdout
    for name in ("render", "validate", "slice", "compose", "augment", "preview", "stats", "report", "fit", "evaluate"):
        assert "Example: defectsynth " + name in run_cli(name, "--help").stdout, name
