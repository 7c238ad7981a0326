"""`defectsynth report`: what the page holds, and that a real browser shows it whole."""

import base64
import re
import shutil

import cv2
import numpy as np
import pytest
from conftest import SHARED_DATA
from splits import toy_split
from test_cli import assert_one_line_error, run_cli

from render.dataset.report import crops_sheet, report_html, write_report

CATEGORIES = ["crack", "fray"]


@pytest.fixture(scope="module")
def splits(tmp_path_factory):
    root = tmp_path_factory.mktemp("report")
    real = toy_split(root / "real", CATEGORIES, 6, size=(120, 96), seed=1)
    syn = toy_split(root / "syn", CATEGORIES, 5, size=(96, 96), seed=2)
    return real, syn


@pytest.fixture(scope="module")
def report_file(splits, tmp_path_factory):
    real, syn = splits
    return write_report(syn, tmp_path_factory.mktemp("page") / "report.html", reference=real)


def images_of(page: str) -> list[np.ndarray]:
    srcs = re.findall(r'<img [^>]*src="([^"]+)"', page)
    assert all(s.startswith("data:image/") for s in srcs), "every image is embedded"
    return [cv2.imdecode(np.frombuffer(base64.b64decode(s.split(",", 1)[1]), np.uint8), cv2.IMREAD_COLOR)
            for s in srcs]


def test_report_with_a_reference_holds_every_section(report_file):
    page = report_file.read_text()
    for needle in ("Overview", "Categories", "Real and synthetic crops", "Distance to the real split",
                   "Contact sheets per category", "Instances: crack", "Instances: fray", "W="):
        assert needle in page, needle
    for stat in ("brightness", "contrast", "noise", "instances_per_image", "area", "aspect", "orientation",
                 "position", "border"):
        assert f"{stat}</" in page or f": {stat}" in page, stat
    assert "http://" not in page and "https://" not in page  # no network
    assert all(im is not None and im.size for im in images_of(page))


def test_report_without_reference_and_the_crops_sheet(splits, tmp_path):
    real, syn = splits
    page = write_report(syn, tmp_path / "r.html").read_text()
    assert "Distance to the real split" not in page and "Instances: fray" in page
    sheet = crops_sheet(real, syn, n=3, side=40)
    assert sheet.shape[1] > 2 * 3 * 40 and sheet.std() > 10  # two blocks of crops, not blank


def test_report_command_and_its_mistakes(splits, tmp_path):
    real, syn = splits
    res = run_cli("report", str(syn), "--reference", str(real), "--out", str(tmp_path / "r.html"),
                  "--sheet", str(tmp_path / "s.jpg"), "--max-images", "4")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "r.html").stat().st_size > 10_000 and cv2.imread(str(tmp_path / "s.jpg")) is not None
    assert_one_line_error(run_cli("report", str(tmp_path / "nope"), "--out", str(tmp_path / "x.html")),
                          "not a COCO split")
    assert_one_line_error(run_cli("report", str(syn), "--out", str(tmp_path / "no" / "x.html")), "does not exist")
    assert_one_line_error(run_cli("report", str(syn), "--sheet", str(tmp_path / "s.jpg")), "--sheet needs --reference")
    # render checks its report options before rendering anything
    out = tmp_path / "out"
    assert_one_line_error(run_cli("render", "--out", str(out), "--report-reference", str(real)), "needs --report")
    assert_one_line_error(run_cli("render", "--out", str(out), "--report", str(tmp_path / "r.html"),
                                  "--report-reference", str(tmp_path / "nope")), "not a COCO split")
    assert not out.exists()


def chromium() -> str:
    exe = shutil.which("chromium") or shutil.which("chromium-browser")
    if exe is None:
        pytest.skip("Chromium is not installed and could not be: `make test` installs Debian's chromium "
                    "with apt-get, which needs root")
    return exe


def test_the_report_renders_in_a_real_browser(report_file, tmp_path):
    """Chromium loads the file: no console error, no page error, no failed request, every image
    decoded, and a screenshot with something on it."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed (make test)")
    problems = []
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium(), args=[
            "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
            "--disable-component-update", "--disable-sync"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.on("console", lambda m: m.type == "error" and problems.append(f"console: {m.text}"))
            page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
            page.on("requestfailed", lambda r: problems.append(f"failed request: {r.url[:80]}"))
            page.goto(report_file.resolve().as_uri(), wait_until="load")
            images = page.evaluate("[...document.images].map(i => [i.alt, i.complete && i.naturalWidth > 0])")
            page.screenshot(path=str(tmp_path / "shot.png"), full_page=True)
        finally:
            browser.close()
    assert not problems, problems
    assert len(images) > 20 and all(ok for _, ok in images), [alt for alt, ok in images if not ok]
    shot = cv2.imread(str(tmp_path / "shot.png"))
    assert shot.shape[0] > 2000 and shot.shape[1] >= 1280
    not_white = (shot < 240).any(axis=2).mean()
    assert not_white > 0.1 and len(np.unique(shot.reshape(-1, 3), axis=0)) > 1000, "the page looks empty"


MAGNETIC = SHARED_DATA / "magnetic_tile"


@pytest.mark.skipif(not MAGNETIC.is_dir(), reason=f"real data not found at {MAGNETIC}")
def test_report_on_real_data_skipped_without_shared_data(tmp_path):
    page = report_html(MAGNETIC / "val", reference=MAGNETIC / "train", max_images=30)
    for c in ("blowhole", "break", "crack", "fray", "uneven"):
        assert f"Instances: {c}" in page
    assert len(images_of(page)) > 40
