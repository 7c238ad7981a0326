import json

import pytest
from conftest import SHARED_DATA
from splits import subset_split, toy_split

from render.dataset.augment import copy_paste
from render.dataset.validate import validate_split
from render.errors import UserError

MAGNETIC = SHARED_DATA / "magnetic_tile" / "train"


def test_copy_paste_is_valid_deterministic_and_capped(tmp_path):
    real = toy_split(tmp_path / "real", ["crack", "fray"], 4, size=(160, 120))
    rep = copy_paste(real, tmp_path / "a", 8, seed=1)
    assert rep["images"] == 8 and rep["annotations"] >= 8
    assert validate_split(tmp_path / "a", reference=real).ok
    copy_paste(real, tmp_path / "b", 8, seed=1)
    copy_paste(real, tmp_path / "c", 8, seed=2)
    text = lambda d: (tmp_path / d / "_annotations.coco.json").read_text()  # noqa: E731
    assert text("a") == text("b") and text("a") != text("c")
    assert (tmp_path / "a" / "cp_000001.png").read_bytes() == (tmp_path / "b" / "cp_000001.png").read_bytes()
    with pytest.raises(UserError, match="exceed the cap of 20"):
        copy_paste(real, tmp_path / "d", 21)


@pytest.mark.skipif(not MAGNETIC.is_dir(), reason=f"skipped: shared real data not found at {MAGNETIC}")
def test_copy_paste_on_real_tiles_skipped_without_shared_data(tmp_path):
    real = subset_split(MAGNETIC, tmp_path / "real", 30)
    copy_paste(real, tmp_path / "cp", 10, seed=0)
    assert validate_split(tmp_path / "cp", reference=real).ok
    data = json.loads((tmp_path / "cp" / "_annotations.coco.json").read_text())
    assert len(data["annotations"]) >= 10
