"""fit and hybrid end to end with the real bpy (tiny renders), and the look of tinted stains."""

import json
import shutil

import cv2
import numpy as np
import pytest
import yaml
from conftest import DATA, SHARED_DATA

from render.cluster import Workers
from render.config import load_quality, load_scene
from render.dataset.coco import CocoWriter, categories_from_names, decode_mask, encode_instance, load_split
from render.dataset.validate import validate_split
from render.errors import UserError

pytestmark = pytest.mark.blender


def photo_split(root, n=3, size=(160, 120), seed=0, dent_radius=6, dent_change=-50):
    """'Photographs': a smooth lit surface with fine grain and sensor noise, one dark dent-like
    blob and one thin scratch-like line annotated in each."""
    rng = np.random.default_rng(seed)
    root.mkdir(parents=True)
    coco = CocoWriter(root, categories_from_names(["scratch", "dent"]))
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    for i in range(n):
        base = 90 + 50 * x / w + 20 * y / h + cv2.GaussianBlur(rng.normal(0, 6, (h, w)), (0, 0), 1.5)
        img = base + rng.normal(0, 2, (h, w))
        masks = []
        cx, cy = int(rng.integers(20, 50)), int(rng.integers(20, h - 20))
        dent = (x - cx) ** 2 + (y - cy) ** 2 < dent_radius**2
        line = (np.abs(y - (h // 2)) <= 1) & (x > w - 60) & (x < w - 20)
        for cat, m in ((2, dent), (1, line)):
            img[m] += dent_change if cat == 2 else -50
            masks.append((cat, m))
        cv2.imwrite(str(root / f"p{i}.png"), np.repeat(np.clip(img, 0, 255).astype(np.uint8)[..., None], 3, -1))
        image_id = coco.add_image(f"p{i}.png", w, h)
        for cat, m in masks:
            coco.add_annotation(image_id, cat, *encode_instance(m, "rle"))
    coco.close()
    return root


def grey_photograph(root):
    """A directory with one flat grey defect-free 'photograph' of the split's size."""
    root.mkdir()
    cv2.imwrite(str(root / "c.png"), np.full((120, 160, 3), 120, np.uint8))
    return root


def _quality():
    return load_quality("preview", samples=4)


def test_hybrid_writes_visible_exact_defects_into_the_photographs(tmp_path):
    from render.hybrid import hybrid

    real = photo_split(tmp_path / "real")
    recipe = load_scene(DATA / "tiny_scene.yaml")
    out = tmp_path / "hybrid" / "train"
    r = hybrid(real, recipe, 3, out, seed=0, quality=_quality(), workers=1, log=lambda *_: None)
    assert validate_split(out, reference=real).ok
    assert sum(r["instances"].values()) >= 2
    data, real_data = load_split(out), load_split(real)
    sources = {i["file_name"]: i for i in real_data["images"]}
    total_new = 0
    for img in data["images"]:
        out_px = cv2.imread(str(out / img["file_name"]), cv2.IMREAD_GRAYSCALE).astype(float)
        src = sources[img["source"]["file_name"]]
        base = cv2.imread(str(real / src["file_name"]), cv2.IMREAD_GRAYSCALE).astype(float)
        anns = [a for a in data["annotations"] if a["image_id"] == img["id"]]
        new = [decode_mask(a["segmentation"], img["height"], img["width"]) for a in anns]
        real_masks = [decode_mask(a["segmentation"], src["height"], src["width"])
                      for a in real_data["annotations"] if a["image_id"] == src["id"]]
        # the photograph's own defects stay labelled, plus the new ones
        assert len(anns) >= len(real_masks)
        change = np.abs(out_px - base)
        labelled = np.zeros(change.shape, bool)
        for m in new:
            labelled |= m
        changed_new = [m for m in new if not any((m & rm).sum() == m.sum() for rm in real_masks)]
        total_new += len(changed_new)
        for m in changed_new:
            assert change[m].mean() > 3  # a labelled defect is visible
        # what changed, changed where the labels are (noise added back in darkened spots aside)
        if change.sum():
            assert change[labelled].sum() / change.sum() > 0.6
    assert total_new >= 2


def test_defects_larger_than_half_the_photograph_are_placed_too(tmp_path):
    """Real defects that cover much of a photograph (a frayed or uneven region) are drawn at
    their size, running past the border if they must, not skipped."""
    from render.hybrid import RealSplit, entries_by_category, list_backgrounds, plan_images

    real = RealSplit.load(photo_split(tmp_path / "real", dent_radius=35))
    recipe = load_scene(DATA / "tiny_scene.yaml")
    entries = entries_by_category(recipe)
    clean = tmp_path / "clean"  # defect-free photographs of the same size
    clean.mkdir()
    for i in range(3):
        cv2.imwrite(str(clean / f"c{i}.png"), np.full((120, 160, 3), 120 + 10 * i, np.uint8))
    plans, _, _ = plan_images(real, recipe, entries, list_backgrounds(real, clean), 8, 0, _quality())
    dents = [p for _, _, ps in plans for p in ps if p.category == "dent"]
    assert len(dents) >= 3
    assert all(p.window <= 2 * 120 for p in dents)
    assert max(p.window for p in dents) > 120  # larger than the photograph's short side


def test_a_category_too_large_for_a_local_render_keeps_its_share(tmp_path):
    """Real dents that cover the whole photograph cannot be rendered locally: hybrid images then
    take a reference photograph with its own dent as their base (annotations kept), so dents keep
    their share of the output instead of being diluted by defect-free backgrounds; the counts say so."""
    from render.hybrid import RealSplit, entries_by_category, hybrid, list_backgrounds, plan_images

    ref = photo_split(tmp_path / "real", size=(160, 120), dent_radius=200)  # the whole image
    real = RealSplit.load(ref)
    clean = grey_photograph(tmp_path / "clean")
    recipe = load_scene(DATA / "tiny_scene.yaml")
    entries = entries_by_category(recipe)
    plans, unplaced, carried = plan_images(real, recipe, entries, list_backgrounds(real, clean), 8, 0, _quality())
    assert not any(p.category == "dent" for _, _, ps in plans for p in ps)
    assert carried.get("dent", 0) >= 1 and not unplaced.get("dent")
    assert any(any(cid == 2 for cid, _ in bg.masks) for _, bg, _ in plans)  # a reference photograph as base

    out = hybrid(ref, recipe, 6, tmp_path / "out", backgrounds=clean, quality=_quality(), workers=1, log=lambda m: None)
    data = load_split(tmp_path / "out")
    dents = sum(a["category_id"] == 2 for a in data["annotations"])
    assert out["carried"].get("dent", 0) >= 1 and dents >= 1  # the reference's own dents, in the output


def test_a_drawn_defect_with_no_photograph_of_its_category_is_counted_not_hidden(tmp_path):
    """Without a reference photograph to carry it, a defect that found no place is counted per
    category, since the detector then sees that category less often than in the real split."""
    from render.hybrid import RealSplit, entries_by_category, list_backgrounds, plan_images

    real = RealSplit.load(photo_split(tmp_path / "real", size=(160, 120), dent_radius=200))
    real.data = {**real.data, "annotations": [a for a in real.data["annotations"] if a["category_id"] != 2]}
    recipe = load_scene(DATA / "tiny_scene.yaml")
    entries = entries_by_category(recipe)
    plans, unplaced, carried = plan_images(real, recipe, entries, list_backgrounds(real, None), 8, 0, _quality())
    drawn_dents = unplaced.get("dent", 0) + sum(p.category == "dent" for _, _, ps in plans for p in ps)
    assert unplaced.get("dent", 0) >= 1 and unplaced["dent"] == drawn_dents and not carried


def test_a_carried_category_is_never_rendered_and_keeps_its_share(tmp_path):
    """--carry dent: no dent is rendered; images that draw one take a reference photograph with
    its own dents as their base, so a recipe without a dent type is accepted; a category the
    reference does not have is refused."""
    from render.hybrid import RealSplit, entries_by_category, hybrid, list_backgrounds, plan_images

    ref = photo_split(tmp_path / "real")
    real = RealSplit.load(ref)
    clean = grey_photograph(tmp_path / "clean")
    recipe = load_scene(DATA / "tiny_scene.yaml")
    entries = entries_by_category(recipe)
    plans, unplaced, carried = plan_images(real, recipe, entries, list_backgrounds(real, clean), 15, 0, _quality(),
                                           carry=("dent",))
    assert not any(p.category == "dent" for _, _, ps in plans for p in ps)
    assert any(p.category == "scratch" for _, _, ps in plans for p in ps)
    with_dent = sum(any(cid == 2 for cid, _ in bg.masks) for _, bg, _ in plans)
    assert carried.get("dent", 0) >= 1 and with_dent >= 1 and not unplaced.get("dent")

    spec = yaml.safe_load((DATA / "tiny_scene.yaml").read_text())
    del spec["defects"]["dent"]
    spec["categories"] = ["scratch"]
    (tmp_path / "no_dent.yaml").write_text(yaml.safe_dump(spec))
    no_dent = load_scene(tmp_path / "no_dent.yaml")
    with pytest.raises(UserError, match="--carry"):
        hybrid(ref, no_dent, 2, tmp_path / "x" / "train", log=lambda *_: None)
    with pytest.raises(UserError, match="--carry pit: not a category"):
        hybrid(ref, recipe, 2, tmp_path / "y" / "train", carry=("pit",), log=lambda *_: None)
    assert not (tmp_path / "x").exists() and not (tmp_path / "y").exists()
    # a few-image split may have no dent at all: carrying dent is then nothing to do, not an error
    no_dents = tmp_path / "no_dents"
    shutil.copytree(ref, no_dents)
    data = load_split(no_dents)
    (no_dents / "_annotations.coco.json").write_text(json.dumps(
        dict(data, annotations=[a for a in data["annotations"] if a["category_id"] != 2])))
    r = hybrid(no_dents, no_dent, 2, tmp_path / "z" / "train", carry=("dent",), quality=_quality(), workers=1,
               log=lambda *_: None)
    made = load_split(tmp_path / "z" / "train")
    assert not r["carried"] and not any(a["category_id"] == 2 for a in made["annotations"])
    r = hybrid(ref, no_dent, 4, tmp_path / "out" / "train", backgrounds=clean, carry=("dent",), quality=_quality(),
               workers=1, log=lambda *_: None)
    assert validate_split(tmp_path / "out" / "train", reference=ref).ok
    data = load_split(tmp_path / "out" / "train")
    assert r["carried"].get("dent", 0) >= 1 and not r["unplaced"].get("dent")
    with_dent = {a["image_id"] for a in data["annotations"] if a["category_id"] == 2}
    sources = {i["id"]: i["source"]["file_name"] for i in data["images"]}
    assert with_dent and all(sources[i].startswith("p") for i in with_dent)  # reference photographs, not c.png


@pytest.mark.parametrize("at_edge", [False, True])
def test_defects_go_on_the_part_not_on_the_backdrop(tmp_path, at_edge):
    """Whole blue parts hung in front of a grey backdrop, as photographed on a stage: the colours
    around the real defects say where the part is, and every rendered defect (large stains
    included, which must not be taken for edge defects) goes on it; grey photographs are not restricted.
    at_edge: large parts whose real defects lie at their edges, so that the ring around a defect
    takes in backdrop (the backdrop was then taken for surface and nothing was restricted), and
    the greys of the part's shadow with it (colours alone then took the shadow for surface)."""
    from render.hybrid import RealSplit, entries_by_category, list_backgrounds, plan_images

    rng = np.random.default_rng(3)
    root = tmp_path / "real"
    root.mkdir()
    coco = CocoWriter(root, categories_from_names(["rust"]))
    y, x = np.mgrid[0:160, 0:160]
    parts = {}
    side = 120 if at_edge else 95
    for i in range(6):
        img = np.repeat((150 + 30 * y / 160 + rng.normal(0, 2, (160, 160)))[..., None], 3, -1)  # grey backdrop
        x0, y0 = int(rng.integers(10, 160 - side - 10)), int(rng.integers(10, 160 - side - 10))
        part = (x >= x0) & (x < x0 + side) & (y >= y0) & (y < y0 + side)
        shadow = 30 * np.exp(-cv2.distanceTransform((~part).astype(np.uint8), cv2.DIST_L2, 5) / 6)
        img -= shadow[..., None]  # the part's soft shadow: greys seen next to it, not along the border
        img[part] = np.array([170.0, 60.0, 20.0]) + rng.normal(0, 3, (part.sum(), 1))  # blue paint (BGR)
        if at_edge:  # a band of rust along the part's left edge
            blob = (x >= x0) & (x < x0 + 8) & (y >= y0 + 30) & (y < y0 + 90)
        else:
            blob = (x - x0 - 30) ** 2 + (y - y0 - 30) ** 2 < 12**2
        img[blob] = (90, 80, 90)
        cv2.imwrite(str(root / f"p{i}.png"), np.clip(img, 0, 255).astype(np.uint8))
        coco.add_annotation(coco.add_image(f"p{i}.png", 160, 160), 1, *encode_instance(blob, "rle"))
        parts[f"p{i}.png"] = part
    coco.close()
    real = RealSplit.load(root)
    assert real.surface is not None
    for name, part in parts.items():  # the shadow and the backdrop are not the part's surface
        image = cv2.imread(str(root / name))
        for surface in (real.surface.surface(image), real.surface.pixels(image)):
            assert (surface & ~part).sum() < 0.05 * surface.sum() and surface[part].mean() > 0.8, name
    scene = {"name": "rust", "categories": ["rust"], "parts": {"plate": {"width": [30, 30], "length": [30, 30]}},
             "defects": {"count": [1, 1], "stain": {"category": "rust", "radius": [8, 12], "elongation": [1, 2]}}}
    (tmp_path / "rust.yaml").write_text(yaml.safe_dump(scene))
    recipe = load_scene(tmp_path / "rust.yaml")
    entries = entries_by_category(recipe)
    plans, _, _ = plan_images(real, recipe, entries, list_backgrounds(real, None), 24, 0, _quality())
    placed = [(path, p) for path, _, ps in plans for p in ps]
    assert len(placed) >= 6
    for path, p in placed:
        assert p.border is None  # a stain is no edge defect, however large
        cx, cy = p.origin[0] + p.window // 2, p.origin[1] + p.window // 2
        assert parts[path.name][cy, cx], (path.name, cx, cy)
    # a chip on the image border would be on the backdrop: a photograph of the category carries it
    (tmp_path / "chip.yaml").write_text(yaml.safe_dump({**scene, "defects": {"chip": {"category": "rust"}}}))
    chip_recipe = load_scene(tmp_path / "chip.yaml")
    chips = entries_by_category(chip_recipe)
    plans, unplaced, carried = plan_images(real, chip_recipe, chips, list_backgrounds(real, None), 6, 0, _quality())
    assert not any(ps for _, _, ps in plans) and carried.get("rust", 0) >= 1
    assert RealSplit.load(photo_split(tmp_path / "close_ups")).surface is None


@pytest.mark.skipif(not (SHARED_DATA / "mpdd_metal_plate").is_dir(), reason="../shared/data/mpdd_metal_plate is absent")
def test_the_surface_of_real_plates_is_the_plates_not_the_backdrop():
    """mpdd_metal_plate: painted or rusty plates hung before a grey backdrop whose light varies.
    The surface found from the train split's colours lies on the plates (told here by their
    colour saturation), and covers them."""
    from render.hybrid import RealSplit

    real = RealSplit.load(SHARED_DATA / "mpdd_metal_plate" / "train")
    off, covered = [], []
    for info in real.data["images"]:
        image = cv2.imread(str(real.split_dir / info["file_name"]))
        saturated = (cv2.cvtColor(image, cv2.COLOR_BGR2HSV)[..., 1] > 60).astype(np.uint8)
        plate = cv2.morphologyEx(saturated, cv2.MORPH_CLOSE, np.ones((15, 15), np.uint8)).astype(bool)
        surface = real.surface.surface(image)
        off.append((surface & ~plate).sum() / surface.sum())
        covered.append(surface[plate].mean())
    assert np.median(off) < 0.08 and np.percentile(off, 90) < 0.1  # colours alone: 0.19 and 0.30
    assert np.percentile(covered, 10) > 0.9


def test_a_category_lighter_than_its_surround_gets_lighter_defects(tmp_path):
    from render.hybrid import hybrid

    real = photo_split(tmp_path / "real", dent_change=+40)
    out = tmp_path / "hybrid" / "train"
    hybrid(real, load_scene(DATA / "tiny_scene.yaml"), 4, out, seed=2, quality=_quality(), workers=1,
           log=lambda *_: None)
    data, real_data = load_split(out), load_split(real)
    sources = {i["file_name"]: i for i in real_data["images"]}
    changes = []
    for img in data["images"]:
        src = sources[img["source"]["file_name"]]
        before = cv2.imread(str(real / src["file_name"]), cv2.IMREAD_GRAYSCALE).astype(float)
        after = cv2.imread(str(out / img["file_name"]), cv2.IMREAD_GRAYSCALE).astype(float)
        real_masks = [decode_mask(a["segmentation"], src["height"], src["width"])
                      for a in real_data["annotations"] if a["image_id"] == src["id"]]
        for a in data["annotations"]:
            m = decode_mask(a["segmentation"], img["height"], img["width"])
            if a["image_id"] == img["id"] and a["category_id"] == 2 and not any((m & r).any() for r in real_masks):
                changes.append((after - before)[m].mean())
    assert changes and all(c > 0 for c in changes)


@pytest.mark.parametrize("lighter", [False, True])
def test_a_rust_stain_keeps_its_hue_in_a_colour_photograph(tmp_path, lighter):
    """A rust-tinted stain rendered into blue-grey painted photographs makes them redder, never
    bluer: the render's channels land on the photograph's, and a category lighter than its
    surround turns the change's brightness, not its hue."""
    from render.hybrid import hybrid

    rng = np.random.default_rng(0)
    root = tmp_path / "real"
    root.mkdir()
    coco = CocoWriter(root, categories_from_names(["rust"]))
    y, x = np.mgrid[0:120, 0:160]

    def paint(level):  # a blue-grey paint (BGR)
        return level[..., None] + np.array([15.0, 0.0, -15.0])

    for i in range(3):
        img = paint(110 + 30 * x / 160 + rng.normal(0, 2, (120, 160)))
        blob = (x - 40) ** 2 + (y - 60) ** 2 < 8**2
        img[blob] += np.array([-20, -10, 0]) + (35 if lighter else -10)  # BGR: reddish, lighter or darker
        cv2.imwrite(str(root / f"p{i}.png"), np.clip(img, 0, 255).astype(np.uint8))
        coco.add_annotation(coco.add_image(f"p{i}.png", 160, 120), 1, *encode_instance(blob, "rle"))
    coco.close()
    clean = tmp_path / "clean"  # defect-free photographs of the same grey paint
    clean.mkdir()
    for i in range(2):
        img = paint(110 + 30 * x / 160 + rng.normal(0, 2, (120, 160)))
        cv2.imwrite(str(clean / f"c{i}.png"), np.clip(img, 0, 255).astype(np.uint8))
    scene = {"name": "rust", "categories": ["rust"], "parts": {"plate": {"width": [30, 30], "length": [30, 30]}},
             "defects": {"count": [1, 1], "stain": {"category": "rust", "radius": [2, 3], "darken": [0.3, 0.3],
                                                     "tint": [1, 1], "tint_hue": [0.05, 0.05],
                                                     "tint_saturation": [0.8, 0.8], "tint_value": [0.2, 0.2]}}}
    (tmp_path / "rust.yaml").write_text(yaml.safe_dump(scene))
    out = tmp_path / "hybrid" / "train"
    hybrid(root, load_scene(tmp_path / "rust.yaml"), 4, out, seed=1, backgrounds=clean, quality=_quality(),
           workers=1, log=lambda *_: None)
    data = load_split(out)
    reddening = []
    for img in data["images"]:
        before = cv2.imread(str(clean / img["source"]["file_name"])).astype(float)
        after = cv2.imread(str(out / img["file_name"])).astype(float)
        for a in data["annotations"]:
            m = decode_mask(a["segmentation"], 120, 160)
            if a["image_id"] == img["id"]:
                change = (after - before)[m].mean(0)
                reddening.append(change[2] - change[0])  # red minus blue
    assert reddening and all(r > 2 for r in reddening), reddening


def test_hybrid_is_deterministic_and_refuses_bad_input(tmp_path):
    from render.hybrid import hybrid

    real = photo_split(tmp_path / "real", n=2)
    recipe = load_scene(DATA / "tiny_scene.yaml")
    outs = []
    for k in range(2):
        out = tmp_path / f"h{k}" / "train"
        hybrid(real, recipe, 2, out, seed=9, quality=_quality(), workers=1, log=lambda *_: None)
        outs.append(out)
    assert (outs[0] / "_annotations.coco.json").read_bytes() == (outs[1] / "_annotations.coco.json").read_bytes()
    for name in load_split(outs[0])["images"]:
        a = cv2.imread(str(outs[0] / name["file_name"]))
        b = cv2.imread(str(outs[1] / name["file_name"]))
        assert np.array_equal(a, b)
    with pytest.raises(UserError, match="cap"):
        hybrid(real, recipe, 11, tmp_path / "x" / "train", quality=_quality(), log=lambda *_: None)
    other = yaml.safe_load((DATA / "tiny_scene.yaml").read_text())
    other["categories"], other["defects"] = ["pit"], {"pit": {"category": "pit"}}
    (tmp_path / "pit.yaml").write_text(yaml.safe_dump(other))
    with pytest.raises(UserError, match="no defect type for the reference's categories"):
        hybrid(real, load_scene(tmp_path / "pit.yaml"), 1, tmp_path / "y" / "train", log=lambda *_: None)
    assert not (tmp_path / "x").exists() and not (tmp_path / "y" / "train").exists()


def test_hybrid_on_magnetic_tile_skipped_without_shared_data(tmp_path):
    """Real photographs: defect-free tiles from free/, sizes and places from the real train split."""
    from render.hybrid import hybrid

    real = SHARED_DATA / "magnetic_tile" / "train"
    if not real.exists():
        pytest.skip(f"the shared real data is not here ({real})")
    out = tmp_path / "mt" / "train"
    r = hybrid(real, load_scene(DATA.parent.parent / "scenes" / "magnetic_tile.yaml"), 3, out, seed=1,
               backgrounds=SHARED_DATA / "magnetic_tile" / "free", quality=_quality(), workers=1,
               log=lambda *_: None)
    assert validate_split(out, reference=real).ok and sum(r["instances"].values()) >= 1


def test_fit_writes_a_valid_recipe_closer_to_the_reference(tmp_path):
    from render.fit import fit_recipe, fit_report_html, write_recipe

    real = photo_split(tmp_path / "real", n=4)
    result = fit_recipe(real, DATA / "tiny_scene.yaml", tmp_path / "work", iterations=1, frames=4, samples=4,
                        workers=1, log=lambda *_: None)
    path = tmp_path / "fitted.yaml"
    write_recipe(result, path, real, DATA / "tiny_scene.yaml")
    fitted = load_scene(path)
    assert fitted.camera.resolution == (160, 120) and fitted.camera.grayscale
    before, after = result.distances()
    assert after["image.brightness"] < before["image.brightness"]
    html = fit_report_html(result, real, DATA / "tiny_scene.yaml")
    assert html.count("<img") > 10 and "image.brightness" in html


def test_a_tinted_mottled_stain_renders_in_its_own_colour(tmp_path):
    from render.pipeline import render_dataset

    scene = {"name": "rust", "categories": ["rust"],
             "parts": {"plate": {"width": [30, 30], "length": [30, 30]}},
             "defects": {"count": [1, 1], "stain": {"category": "rust", "radius": [5, 6], "darken": [0.1, 0.1],
                                                     "tint": [1, 1], "mottle": [0.5, 0.5], "mottle_size": [2, 2]}},
             "material": {"hue": [0.62, 0.62], "saturation": [0.9, 0.9], "value": [0.4, 0.4],
                          "metallic": [0, 0], "roughness": [0.5, 0.5], "brushing": [0, 0], "grain": [0, 0]},
             "camera": {"fill": [1.3, 1.3], "tilt": [0, 0]}}
    (tmp_path / "rust.yaml").write_text(yaml.safe_dump(scene))
    split, _ = render_dataset(load_scene(tmp_path / "rust.yaml"), load_quality("preview", resolution=(96, 96),
                              samples=8), 1, tmp_path / "out", 0, workers=Workers(workers=1))
    data = load_split(split)
    img = cv2.imread(str(split / data["images"][0]["file_name"])).astype(float)
    mask = decode_mask(data["annotations"][0]["segmentation"], 96, 96)
    b, r = img[..., 0], img[..., 2]
    assert (r[mask] - b[mask]).mean() > 10  # rust: red over blue inside
    assert (b[~mask] - r[~mask]).mean() > 10  # blue paint outside
    assert r[mask].std() > 2  # mottled, not a flat colour
    frame = json.loads((split.parent / "frames" / "000001" / "spec.json").read_text())
    assert frame["defects"][0]["tint"] == 1


@pytest.mark.parametrize("ring", [False, True])
def test_a_mask_has_no_hole_where_the_footprint_has_none(ring):
    """A stain that fades in places inside keeps a solid mask; a ring's hole stays a hole."""
    from types import SimpleNamespace

    from render.hybrid import composite

    rng = np.random.default_rng(0)
    size = 80
    image = np.repeat((120 + rng.normal(0, 1.5, (size, size))).clip(0, 255).astype(np.uint8)[..., None], 3, -1)
    y, x = np.mgrid[0:size, 0:size]
    r = np.hypot(x - 40, y - 40)
    footprint = (r < 24) & ((r > 10) if ring else True)
    ratio = np.ones((size, size, 3))
    ratio[footprint] = 0.8
    faint = (r < 6) | ((np.abs(x - 30) < 2) & (np.abs(y - 45) < 2))  # barely changed patches inside
    ratio[footprint & faint] = 0.995
    p = SimpleNamespace(category="stain", origin=(0, 0), window=size, contrast=0.0)
    _, masks, dropped = composite(image, [(p, ratio, footprint)], True, rng, min_area=4, min_contrast=1.0)
    assert dropped == 0 and len(masks) == 1
    mask = masks[0][1]
    assert mask[footprint].all()  # faint inner patches are labelled
    assert not mask[r < 6].any() if ring else mask[r < 6].all()  # the centre of a ring's hole is not
