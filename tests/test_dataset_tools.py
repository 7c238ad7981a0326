import json

import numpy as np
import pytest
from conftest import SHARED_DATA
from pycocotools import mask as mask_util
from pycocotools.coco import COCO
from splits import stitch_masks, subset_split, toy_split

from render.dataset.coco import segmentation_to_rle
from render.dataset.compose import compose
from render.dataset.measure import measure_split
from render.dataset.slicing import slice_split, tile_origins
from render.dataset.stats import format_stats, plot_stats, summarize
from render.dataset.validate import validate_split
from render.errors import UserError

MAGNETIC = SHARED_DATA / "magnetic_tile" / "train"
needs_real = pytest.mark.skipif(not MAGNETIC.is_dir(), reason=f"skipped: shared real data not found at {MAGNETIC}")


def original_masks(split):
    data = json.loads((split / "_annotations.coco.json").read_text())
    images = {i["id"]: i for i in data["images"]}
    return {(images[a["image_id"]]["file_name"], a["id"]): mask_util.decode(segmentation_to_rle(
        a["segmentation"], images[a["image_id"]]["height"], images[a["image_id"]]["width"])).astype(bool)
        for a in data["annotations"]}


def assert_round_trip(split, tmp_path, tile):
    tiles = tmp_path / "tiles"
    rep = slice_split(split, tiles, tile=tile, overlap=0, min_area=1, min_visible=0, keep_empty=1)
    assert rep.tiles > rep.images  # really cut
    assert validate_split(tiles).ok
    orig, stitched = original_masks(split), stitch_masks(tiles)
    assert set(orig) == set(stitched)
    for k, m in orig.items():
        assert np.array_equal(m, stitched[k]), k


def test_tile_origins_cover_the_image_flush_to_the_edge():
    assert tile_origins(100, 40, 0) == [0, 40, 60]
    assert tile_origins(100, 40, 0.5) == [0, 20, 40, 60]
    assert tile_origins(30, 40, 0.2) == [0]


def test_slice_round_trip_on_toy_polygons_and_rle(tmp_path):
    assert_round_trip(toy_split(tmp_path / "rle", ["a", "b"], 5), tmp_path / "r", tile=32)
    assert_round_trip(toy_split(tmp_path / "poly", ["a", "b"], 5, mode="polygon"), tmp_path / "p", tile=32)


@needs_real
def test_slice_round_trip_on_real_data_skipped_without_shared_data(tmp_path):
    assert_round_trip(subset_split(MAGNETIC, tmp_path / "real", 40), tmp_path, tile=96)


def test_slice_filters_fragments_and_negatives(tmp_path):
    split = toy_split(tmp_path / "s", ["a"], 6, size=(200, 160))
    tiles = tmp_path / "t"
    rep = slice_split(split, tiles, tile=64, overlap=0.25, min_area=40, min_visible=0.5, keep_empty=0)
    data = json.loads((tiles / "_annotations.coco.json").read_text())
    assert all(a["area"] >= 40 for a in data["annotations"])
    assert rep.empty_tiles_kept == 0 and all(any(a["image_id"] == i["id"] for a in data["annotations"])
                                             for i in data["images"])
    assert rep.dropped["below_min_area"] + rep.dropped["below_min_visible"] > 0
    assert all("__x" in i["file_name"] and i["source"]["file_name"].startswith("img") for i in data["images"])


def test_compose_keeps_reference_categories_byte_for_byte(tmp_path):
    ref = toy_split(tmp_path / "ref", ["blowhole", "break", "crack"], 3, seed=1)
    syn = toy_split(tmp_path / "syn", ["crack", "blowhole"], 6, seed=2)  # other ids, other order
    out = tmp_path / "final" / "train"
    rep = compose(ref, [syn], out, include_real=True)
    assert (rep.real_images, rep.synthetic_images) == (3, 6)
    got, want = (json.loads((p / "_annotations.coco.json").read_text()) for p in (out, ref))
    assert json.dumps(got["categories"]) == json.dumps(want["categories"])
    assert validate_split(out, reference=ref).ok
    coco = COCO(str(out / "_annotations.coco.json"))
    assert sorted(coco.getImgIds()) == list(range(1, 10))
    assert sorted(coco.getAnnIds()) == list(range(1, len(coco.getAnnIds()) + 1))
    # the synthetic 'crack' (id 1 there) is the reference's crack (id 3) here
    syn_data = json.loads((syn / "_annotations.coco.json").read_text())
    n_crack = sum(a["category_id"] == 1 for a in syn_data["annotations"])
    n_crack_ref = sum(a["category_id"] == 3 for a in want["annotations"])
    assert len(coco.getAnnIds(catIds=[3])) == n_crack + n_crack_ref


def test_compose_cap_sampling_mapping_and_nothing_written_on_errors(tmp_path):
    ref = toy_split(tmp_path / "ref", ["crack", "fray"], 2, seed=1)
    syn = toy_split(tmp_path / "syn", ["crack"], 12, seed=2)
    with pytest.raises(UserError, match=r"12 images \(0 real \+ 12 synthetic\) exceed the cap of 10 = 5.0 x 2"):
        compose(ref, [syn], tmp_path / "o1")
    assert not (tmp_path / "o1").exists()
    rep = compose(ref, [syn], tmp_path / "o2", sample_seed=3)
    assert rep.synthetic_images == 10 and rep.synthetic_dropped == 2
    again = tmp_path / "o3"
    compose(ref, [syn], again, sample_seed=3)
    assert (again / "_annotations.coco.json").read_text() == (tmp_path / "o2" / "_annotations.coco.json").read_text()

    odd = toy_split(tmp_path / "odd", ["hairline"], 2, seed=4)
    with pytest.raises(UserError, match=r"'hairline' is not in the reference \(known: crack, fray\)"):
        compose(ref, [odd], tmp_path / "o4")
    assert not (tmp_path / "o4").exists()
    mapping = tmp_path / "map.yaml"
    mapping.write_text("hairline: crack\n")
    compose(ref, [odd], tmp_path / "o5", mapping_file=mapping)
    assert validate_split(tmp_path / "o5", reference=ref).ok


def test_validate_reference_catches_category_and_cap_problems(tmp_path):
    ref = toy_split(tmp_path / "ref", ["crack", "fray"], 1)
    other = toy_split(tmp_path / "other", ["fray", "crack"], 6)
    rep = validate_split(other, reference=ref)
    assert any("categories differ" in e for e in rep.errors)
    assert any("exceed the cap of 5" in e for e in rep.errors)


def test_stats_and_plot(tmp_path):
    split = toy_split(tmp_path / "s", ["a", "b"], 5)
    measured = measure_split(split)
    s = summarize(measured)
    data = json.loads((split / "_annotations.coco.json").read_text())
    assert s["images"] == 5 and s["instances"] == len(data["annotations"])
    assert sum(s["instances_per_category"].values()) == s["instances"]
    areas = sorted(a["area"] for a in data["annotations"])  # measured from the masks, as the file says
    assert sorted(measured.values("area")) == areas and s["image"]["noise"]["p50"] > 0
    assert "instances per category" in format_stats(s)
    assert plot_stats(measured, tmp_path / "p.png").stat().st_size > 1000


@needs_real
def test_the_real_dataset_passes_validate_skipped_without_shared_data():
    for split in (MAGNETIC, MAGNETIC.parent / "val"):
        rep = validate_split(split)
        assert rep.ok, rep.errors[:5]
