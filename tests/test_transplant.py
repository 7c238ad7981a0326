"""hybrid --transplant: real defects moved onto other photographs, blended in the log domain."""

import json
import re

import cv2
import numpy as np
import pytest
from conftest import DATA, SHARED_DATA

from render.config import load_quality, load_scene
from render.dataset.coco import CocoWriter, categories_from_names, decode_mask, encode_instance, load_split
from render.dataset.validate import validate_split
from render.errors import UserError
from render.transplant import NO_FIT, NO_ROOM, Move, NoMove, apply_move, collect_sources, plan_move


def split_with(root, image: np.ndarray, masks: list[tuple[int, np.ndarray]], names=("scratch", "dent")):
    root.mkdir(parents=True)
    coco = CocoWriter(root, categories_from_names(list(names)))
    cv2.imwrite(str(root / "p0.png"), image)
    image_id = coco.add_image("p0.png", image.shape[1], image.shape[0])
    for cat, m in masks:
        coco.add_annotation(image_id, cat, *encode_instance(m, "rle"))
    coco.close()
    return root


def textured(h, w, level, seed=0):
    rng = np.random.default_rng(seed)
    grain = cv2.GaussianBlur(rng.normal(0, 4, (h, w)), (0, 0), 1.0)
    return np.repeat(np.clip(level + grain, 0, 255).astype(np.uint8)[..., None], 3, -1)


def disc(h, w, cx, cy, r):
    y, x = np.mgrid[0:h, 0:w]
    return (x - cx) ** 2 + (y - cy) ** 2 < r**2


def test_a_moved_defect_keeps_its_relative_contrast_and_leaves_no_seam(tmp_path):
    """A dark spot at half its surround's brightness, moved onto a darker photograph, is half as
    bright as its new surround (not a fixed number of levels darker: that would turn it black);
    the ring around it matches the photograph; nothing outside the blended region changes; the
    mask is the real one, moved."""
    img = textured(120, 160, 160)
    spot = disc(120, 160, 80, 60, 10)
    img[spot] //= 2
    src = split_with(tmp_path / "real", img, [(2, spot)])
    sources = collect_sources(src, load_split(src), ["dent"])["dent"]
    assert len(sources) == 1 and not sources[0].touches
    dst = textured(120, 160, 60, seed=1)
    move = Move(sources[0], False, False, (1.0, 1.0), (20, 30))
    out, mask = apply_move(dst, move)
    assert mask.sum() == spot.sum()
    ys, xs = np.nonzero(mask)
    assert (xs.min(), ys.min()) == (20 + sources[0].context, 30 + sources[0].context)  # the crop's origin
    inside = out[..., 1][mask].astype(float).mean()
    ring = cv2.dilate(mask.astype(np.uint8), np.ones((9, 9), np.uint8)).astype(bool) & ~cv2.dilate(
        mask.astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
    around = out[..., 1][ring].astype(float).mean()
    assert abs(around - 60) < 3
    assert 0.4 < inside / around < 0.6
    changed = np.any(out != dst, axis=-1)
    assert changed[mask].mean() > 0.9
    far = ~cv2.dilate(mask.astype(np.uint8), np.ones((21, 21), np.uint8)).astype(bool)
    assert not changed[far].any()


def test_a_moved_defect_gets_the_noise_it_lacks(tmp_path):
    """A dent from a clean photograph (noise 1 level), enlarged x1.25 (which smooths it further),
    moved onto a noisy one (8 levels): the blended region is as noisy as the photograph around it
(relative to brightness),
    where without the added noise it would be a smooth patch; onto a clean photograph, nothing is
    added. The noise comes from the given generator (the same seed, the same image)."""
    from render.dataset.measure import noise_sigma

    def noisy(level, sigma, seed):
        rng = np.random.default_rng(seed)
        return np.repeat(np.clip(level + rng.normal(0, sigma, (160, 200)), 0, 255).astype(np.uint8)[..., None], 3, -1)

    img = noisy(150, 1.0, 0)
    dent = disc(160, 200, 100, 80, 25)
    img[dent] = (img[dent] * 0.7).astype(np.uint8)
    src = split_with(tmp_path / "real", img, [(2, dent)])
    source = collect_sources(src, load_split(src), ["dent"])["dent"][0]
    move = Move(source, False, False, (1.25, 1.25), (40, 30))
    dst = noisy(150, 8.0, 1)
    plain, mask = apply_move(dst, move)
    matched, _ = apply_move(dst, move, rng=np.random.default_rng(5))
    inside = cv2.erode(mask.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool)
    ys, xs = np.nonzero(inside)
    box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))

    def sigma(a):  # relative to the brightness: noise in the log of the pixels, as the blend adds it
        return noise_sigma(a[..., 1][box].astype(float)) / np.median(a[..., 1][box])

    around = noise_sigma(dst[..., 1]) / 150
    assert sigma(plain) < 0.3 * around
    assert 0.8 < sigma(matched) / around < 1.25
    assert np.array_equal(matched, apply_move(dst, move, rng=np.random.default_rng(5))[0])
    clean, same_size = noisy(150, 1.0, 2), Move(source, False, False, (1.0, 1.0), (40, 30))
    assert np.array_equal(apply_move(clean, same_size, rng=np.random.default_rng(5))[0],
                          apply_move(clean, same_size)[0])


def test_a_defect_at_the_border_stays_at_a_border_and_backdrop_is_not_moved(tmp_path):
    """A chip at the tile's left edge, beside black backdrop: moved, it still touches the left
    border (or the right one when flipped); no black backdrop comes along into the new photograph."""
    img = textured(120, 160, 150)
    img[:, :20] = 0  # backdrop left of the tile
    chip = np.zeros((120, 160), bool)
    chip[50:70, 0:30] = True  # the annotation runs from the image border over the tile's edge
    src = split_with(tmp_path / "real", img, [(1, chip)])
    sources = collect_sources(src, load_split(src), ["scratch"])["scratch"]
    assert sources[0].touches == frozenset({"left"})
    rng = np.random.default_rng(0)
    sides = set()
    for _ in range(12):
        dst = textured(100, 140, 150, seed=2)
        move = plan_move(rng, sources, dst.shape[:2], np.zeros(dst.shape[:2], bool))
        out, mask = apply_move(dst, move)
        ys, xs = np.nonzero(mask)
        assert xs.min() == 0 or xs.max() == 139
        sides.add("left" if xs.min() == 0 else "right")
        assert (out[..., 1][~mask] > 60).all()  # the backdrop inside the mask is the label's; none outside
    assert sides == {"left", "right"}


def test_moves_keep_clear_of_other_defects_and_off_the_backdrop(tmp_path):
    img = textured(120, 160, 150)
    spot = disc(120, 160, 80, 60, 8)
    img[spot] //= 2
    src = split_with(tmp_path / "real", img, [(2, spot)])
    sources = collect_sources(src, load_split(src), ["dent"])["dent"]
    rng = np.random.default_rng(1)
    occupied = np.zeros((120, 160), bool)
    occupied[40:80, 60:100] = True  # the photograph's own defect where the real one sat
    allowed = np.ones((120, 160), bool)
    allowed[:, 120:] = False  # backdrop
    before = occupied.copy()
    moves = [plan_move(rng, sources, (120, 160), occupied, allowed) for _ in range(3)]
    for m in moves:
        assert isinstance(m, Move)
        dst = textured(120, 160, 150)
        out, mask = apply_move(dst, m, allowed)
        assert not (mask & before).any() and not (mask & ~allowed).any()
        assert (out[~allowed] == dst[~allowed]).all()  # nothing is blended onto what is not the part
    assert occupied.sum() > before.sum()
    for a, b in ((0, 1), (0, 2), (1, 2)):
        masks = [apply_move(textured(120, 160, 150), m)[1] for m in (moves[a], moves[b])]
        assert not (masks[0] & masks[1]).any()
    assert plan_move(rng, sources, (120, 160), np.ones((120, 160), bool)) == NoMove(NO_ROOM, sources[0])
    assert plan_move(rng, sources, (12, 160), np.zeros((12, 160), bool)) == NoMove(NO_FIT, sources[0])  # too large
    assert plan_move(rng, [], (120, 160), np.zeros((120, 160), bool)) == NoMove(NO_FIT, None)


def test_a_defect_near_the_parts_edge_stays_as_near_it(tmp_path):
    """A chip 6 px above the bottom border of a 120-px photograph (within 10% of it: the chamfer
    along a tile's edge) keeps that gap, scaled with it, when moved (mirrored to the top when
    flipped up-down), also when its own place is taken; a spot in mid-surface is not pinned."""
    img = textured(120, 160, 150)
    chip, spot = np.zeros((120, 160), bool), disc(120, 160, 50, 50, 6)
    chip[104:114, 100:118] = True  # box bottom at 114: 6 px from the border
    img[chip | spot] //= 2
    src = split_with(tmp_path / "real", img, [(2, chip), (1, spot)])
    sources = collect_sources(src, load_split(src), ["scratch", "dent"])
    assert sources["dent"][0].gaps == {"bottom": 6} and sources["scratch"][0].gaps == {}
    rng = np.random.default_rng(0)
    for taken in (False, True):
        for _ in range(20):
            occupied = np.zeros((120, 160), bool)
            if taken:
                occupied[:, 80:140] = True  # around its own place, top to bottom
            before = occupied.copy()
            move = plan_move(rng, sources["dent"], (120, 160), occupied)
            assert isinstance(move, Move)
            mask = apply_move(textured(120, 160, 150), move)[1]
            ys, xs = np.nonzero(mask)
            gap = ys.min() if move.flip_y else 120 - ys.max() - 1
            assert abs(gap - 6 * move.scale[1]) <= 1
            assert not (mask & before).any()
    tops = []
    for _ in range(20):
        move = plan_move(rng, sources["scratch"], (120, 160), np.zeros((120, 160), bool))
        tops.append(np.nonzero(apply_move(textured(120, 160, 150), move)[1])[0].min())
    assert np.std(tops) > 3  # moved up and down around its place


def test_a_drawn_defect_that_does_not_fit_is_not_swapped_for_a_smaller_one(tmp_path):
    """Of a small and a large real defect, the large one fits no photograph of 60 px high: it is
    drawn about half the time and then reported, not replaced by the small one (which would make
    moved defects smaller than the real ones)."""
    img = textured(160, 200, 150)
    small, large = disc(160, 200, 30, 30, 6), np.zeros((160, 200), bool)
    large[60:140, 80:180] = True
    img[small] //= 2
    img[large] = (img[large] * 0.6).astype(np.uint8)
    src = split_with(tmp_path / "real", img, [(2, small), (2, large)])
    sources = collect_sources(src, load_split(src), ["dent"])["dent"]
    assert sorted(s.mask.sum() for s in sources) == [small.sum(), large.sum()]
    rng = np.random.default_rng(3)
    results = [plan_move(rng, sources, (60, 200), np.zeros((60, 200), bool)) for _ in range(60)]
    moved = [r for r in results if isinstance(r, Move)]
    assert all(m.source.mask.sum() == small.sum() for m in moved)
    assert 15 <= len(moved) <= 45
    assert all(r.why == NO_FIT and r.source.mask.sum() == large.sum() for r in results if not isinstance(r, Move))


def test_a_real_defect_that_fits_no_photograph_comes_with_its_own(tmp_path):
    """A large real dent fits none of the (low) defect-free photographs; a small one fits all.
    An image whose drawn dent is the large one is that dent's own photograph (its annotation
    kept), not another photograph of the category: the large dents keep their share."""
    from render.hybrid import hybrid

    ref = tmp_path / "real"
    ref.mkdir()
    coco = CocoWriter(ref, categories_from_names(["scratch", "dent"]))
    small, large = disc(160, 200, 40, 40, 6), np.zeros((160, 200), bool)
    large[40:140, 50:170] = True
    for name, m in (("large.png", large), ("small.png", small)):
        img = textured(160, 200, 150)
        img[m] = (img[m] * 0.6).astype(np.uint8)
        cv2.imwrite(str(ref / name), img)
        coco.add_annotation(coco.add_image(name, 200, 160), 2, *encode_instance(m, "rle"))
    coco.close()
    bg = tmp_path / "free"
    bg.mkdir()
    for k in range(3):
        cv2.imwrite(str(bg / f"f{k}.png"), textured(60, 200, 120, seed=10 + k))
    r = hybrid(ref, load_scene(DATA / "tiny_scene.yaml"), 10, tmp_path / "out", backgrounds=bg,
               transplant=("dent",), quality=load_quality("preview", samples=4), workers=1, log=lambda *_: None)
    data = load_split(tmp_path / "out")
    sources = [i["source"]["file_name"] for i in data["images"]]
    assert r["carried"]["dent"] == sources.count("large.png") >= 3 and "small.png" not in sources
    assert r["transplanted"]["dent"] >= 3 and validate_split(tmp_path / "out", reference=ref).ok


def _two_category_split(root):
    img = textured(120, 160, 150)
    spot, line = disc(120, 160, 40, 40, 8), np.zeros((120, 160), bool)
    line[90:93, 60:120] = True
    img[spot] //= 2
    img[line] = (img[line] * 0.6).astype(np.uint8)
    return split_with(root, img, [(2, spot), (1, line)])


def test_hybrid_transplants_real_defects_deterministically(tmp_path):
    """`hybrid --transplant` with every category: nothing rendered, every defect a real one moved
    onto the backgrounds, a valid split with the reference's categories; the same seed gives the
    same bytes; unknown or doubly named categories are refused before anything is written."""
    from render.hybrid import hybrid

    ref = _two_category_split(tmp_path / "real")
    bg = tmp_path / "free"
    bg.mkdir()
    for k in range(3):
        cv2.imwrite(str(bg / f"f{k}.png"), textured(110, 150, 90 + 30 * k, seed=10 + k))
    recipe = load_scene(DATA / "tiny_scene.yaml")
    quality = load_quality("preview", samples=4)
    runs = []
    for name in ("a", "b"):
        r = hybrid(ref, recipe, 5, tmp_path / name / "train", backgrounds=bg, transplant=("scratch", "dent"),
                   quality=quality, workers=1, log=lambda *_: None)
        runs.append(tmp_path / name / "train")
    assert validate_split(runs[0], reference=ref).ok
    data = load_split(runs[0])
    assert sum(r["transplanted"].values()) == len(data["annotations"]) >= 5
    for info in data["images"]:
        assert info["source"]["file_name"].startswith("f")
    files = sorted(p.name for p in runs[0].iterdir())
    assert files == sorted(p.name for p in runs[1].iterdir())
    for f in files:
        assert (runs[0] / f).read_bytes() == (runs[1] / f).read_bytes(), f
    for a in data["annotations"]:
        info = next(i for i in data["images"] if i["id"] == a["image_id"])
        assert decode_mask(a["segmentation"], info["height"], info["width"]).sum() == a["area"] >= 16
    with pytest.raises(UserError, match="--transplant pit: not a category"):
        hybrid(ref, recipe, 2, tmp_path / "x" / "train", transplant=("pit",), log=lambda *_: None)
    with pytest.raises(UserError, match="both name dent"):
        hybrid(ref, recipe, 2, tmp_path / "y" / "train", carry=("dent",), transplant=("dent",), log=lambda *_: None)
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()


def test_transplant_command_line(tmp_path):
    from click.testing import CliRunner

    from render.cli import main

    ref = _two_category_split(tmp_path / "real")
    r = CliRunner().invoke(main, ["hybrid", "--reference", str(ref), "--scene", str(DATA / "tiny_scene.yaml"),
                                  "--n", "3", "--out", str(tmp_path / "out"), "--transplant", "dent",
                                  "--transplant", "scratch", "--workers", "1"])
    assert r.exit_code == 0, r.output
    assert re.search(r"transplanted \{'\w+': [1-9]", r.output), r.output
    assert validate_split(tmp_path / "out", reference=ref).ok
    bad = CliRunner().invoke(main, ["hybrid", "--reference", str(ref), "--scene", str(DATA / "tiny_scene.yaml"),
                                    "--n", "3", "--out", str(tmp_path / "bad"), "--transplant", "pit"])
    assert bad.exit_code == 2 and "--transplant pit" in bad.output and not (tmp_path / "bad").exists()


@pytest.mark.skipif(not (SHARED_DATA / "magnetic_tile").is_dir(), reason="../shared/data/magnetic_tile is absent")
def test_transplant_on_magnetic_tile_skipped_without_shared_data(tmp_path):
    """Real tiles: every category's real defects moved onto defect-free tiles make a valid split
    whose masks sit on the tiles (not on the black backdrop around some of them)."""
    from render.dataset.subset import subset_split
    from render.hybrid import hybrid

    few = tmp_path / "few"
    subset_split(SHARED_DATA / "magnetic_tile" / "train", few, 10, seed=1000)
    cats = tuple(c["name"] for c in json.loads((few / "_annotations.coco.json").read_text())["categories"])
    r = hybrid(few, load_scene(DATA.parent.parent / "scenes" / "magnetic_tile.yaml"), 20, tmp_path / "out",
               backgrounds=SHARED_DATA / "magnetic_tile" / "free", transplant=cats, workers=1, log=lambda *_: None)
    assert validate_split(tmp_path / "out", reference=few).ok and sum(r["transplanted"].values()) >= 15
    data = load_split(tmp_path / "out")
    for a in data["annotations"]:
        info = next(i for i in data["images"] if i["id"] == a["image_id"])
        image = cv2.imread(str(tmp_path / "out" / info["file_name"]), cv2.IMREAD_GRAYSCALE)
        m = decode_mask(a["segmentation"], info["height"], info["width"])
        ring = cv2.dilate(m.astype(np.uint8), np.ones((7, 7), np.uint8)).astype(bool) & ~m
        assert np.median(image[ring]) > 0.25 * np.median(image)


@pytest.mark.parametrize("flip", [False, True])
def test_a_scaled_moved_mask_lies_exactly_on_the_moved_pixels(tmp_path, flip):
    """Scaled by 1.25 (and flipped), the label still covers the darkened pixels: no half-pixel shift."""
    img = textured(120, 160, 150)
    y, x = np.mgrid[0:120, 0:160]
    blob = ((x - 70) / 14.0) ** 2 + ((y - 60) / 7.0) ** 2 < 1
    blob |= (np.abs(x - 84) < 3) & (np.abs(y - 45) < 15)  # an L, so a flip or a shift shows
    img[blob] = 40
    src = split_with(tmp_path / "real", img, [(2, blob)])
    sources = collect_sources(src, load_split(src), ["dent"])["dent"]
    out, mask = apply_move(textured(140, 180, 150, seed=3), Move(sources[0], flip, flip, (1.25, 1.25), (30, 20)))
    dark = out[..., 1] < 95
    assert (dark & mask).sum() / (dark | mask).sum() > 0.95
    ys, xs = np.nonzero(mask)
    dy, dx = np.nonzero(dark)
    assert abs(xs.mean() - dx.mean()) < 0.2 and abs(ys.mean() - dy.mean()) < 0.2


def test_a_neighbouring_defect_is_not_moved_along_unlabelled(tmp_path):
    img = textured(120, 160, 150)
    spot = disc(120, 160, 80, 60, 10)
    near = np.zeros((120, 160), bool)
    near[48:72, 93:96] = True  # a scratch 3 px beyond the spot's edge: inside its moved surround
    img[spot] //= 2
    img[near] = 30
    src = split_with(tmp_path / "real", img, [(2, spot), (1, near)])
    sources = collect_sources(src, load_split(src), ["dent"])["dent"]
    out, mask = apply_move(textured(120, 160, 150, seed=4), Move(sources[0], False, False, (1.0, 1.0), (20, 20)))
    assert out[..., 1][~mask].min() > 100


@pytest.mark.blender
def test_rendered_and_moved_defects_share_an_image(tmp_path):
    """--transplant dent with a recipe that renders scratches: both kinds in one split, no label
    overlapping another, the reference's categories; an image drawing both holds both."""
    from render.hybrid import hybrid

    ref = _two_category_split(tmp_path / "real")
    bg = tmp_path / "free"
    bg.mkdir()
    cv2.imwrite(str(bg / "f0.png"), textured(120, 160, 120, seed=5))
    r = hybrid(ref, load_scene(DATA / "tiny_scene.yaml"), 5, tmp_path / "out", backgrounds=bg, transplant=("dent",),
               quality=load_quality("preview", samples=4), workers=1, log=lambda *_: None)
    assert validate_split(tmp_path / "out", reference=ref).ok
    assert r["transplanted"].get("dent", 0) >= 1 and r["instances"]["scratch"] >= 1
    assert "scratch" not in r["transplanted"]
    data = load_split(tmp_path / "out")
    both = 0
    for info in data["images"]:
        anns = [a for a in data["annotations"] if a["image_id"] == info["id"]]
        masks = [decode_mask(a["segmentation"], info["height"], info["width"]) for a in anns]
        total = np.sum(masks, axis=0) if masks else np.zeros(1)
        assert total.max() <= 1
        both += {a["category_id"] for a in anns} == {1, 2}
    assert both >= 1
