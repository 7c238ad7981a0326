"""Long runs do not grow: one Blender process renders 300 tiny frames in no more memory than 30."""

import json
import subprocess
import sys

import pytest
import yaml
from conftest import DATA, ROOT

pytestmark = pytest.mark.blender


def peak_rss(tmp_path, n: int) -> tuple[float, float]:
    preset = yaml.safe_load((ROOT / "configs" / "preview.yaml").read_text())
    preset.update(resolution=[32, 32], samples=1, denoise=False, batch_size=1000)  # no recycling of Blender
    quality = tmp_path / "one_process.yaml"
    quality.write_text(yaml.safe_dump(preset))
    out = tmp_path / f"n{n}"
    res = subprocess.run([sys.executable, "-m", "render.cli", "render", "--scene", str(DATA / "tiny_scene.yaml"),
                          "--n", str(n), "--out", str(out), "--quality", str(quality), "--workers", "1"],
                         capture_output=True, text=True, cwd=ROOT, check=False)
    assert res.returncode == 0, res.stderr[-2000:]
    report = json.loads((out / "tiny" / "report.json").read_text())
    assert len(list((out / "tiny" / "logs").glob("*.log"))) == 1  # one Blender process for all frames
    return report["max_blender_rss_mb"], report["max_rss_mb"]


def test_peak_memory_of_300_frames_is_within_20_percent_of_30(tmp_path):
    blender_30, python_30 = peak_rss(tmp_path, 30)
    blender_300, python_300 = peak_rss(tmp_path, 300)
    assert blender_300 <= 1.2 * blender_30, (blender_30, blender_300)
    assert python_300 <= 1.2 * python_30, (python_30, python_300)
