"""Property tests of the failure contract (issue 12), with hypothesis.

Random recipes drawn from the recipe schema (valid, or with one mistake) go through `render
--prepare-only` (sampling and meshing, no Blender); random COCO splits (valid, or with one
corruption from tests/splits.py) go through `slice`, `compose` and `preview`. Either the command
succeeds and what it wrote is what `validate` accepts, or it exits 2 with one `error:` line and
writes nothing; never a traceback. Derandomized, so CI sees the same examples every run; set
HYPOTHESIS_PROFILE=explore to draw new ones (more of them).
"""

import math
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, Phase, event, given, settings
from hypothesis import strategies as st
from refusals import assert_refused, invoke, leftovers
from splits import CORRUPTIONS, corrupt, toy_split

from render.config import CameraRecipe, LightsRecipe, MaterialRecipe, SensorRecipe
from render.dataset.coco import CocoWriter, categories_from_names, encode_instance, write_image
from render.dataset.validate import validate_split
from render.defects.registry import DEFECT_TYPES
from render.parts.registry import PART_TYPES
from render.ranges import Bounds

# ci: the same examples every run, and a failure reported as found (shrinking can take minutes)
settings.register_profile("ci", max_examples=30, deadline=None, derandomize=True, database=None,
                          phases=[Phase.explicit, Phase.generate], suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("explore", max_examples=300, deadline=None, database=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

PARTS = [k for k in PART_TYPES if k != "mesh"]  # a user mesh needs a file: tests/test_user_mesh.py
CATEGORY_POOL = ["scratch", "dent", "Flash Particle", "t_contamination"]
SECTIONS = {"material": MaterialRecipe, "lights": LightsRecipe, "camera": CameraRecipe, "sensor": SensorRecipe}
# pairs a part's model checks against each other (a tile's width < 3 x radius): left at their defaults
COUPLED = {"tile": {"radius", "width"}, "ring": {"outer_radius", "width"}}


# ---- recipes ------------------------------------------------------------------------------------
def range_fields(model) -> dict[str, tuple[float, float, bool, tuple]]:
    """The `[low, high]` keys of a recipe model: name -> (lo, hi, integers?, default)."""
    out = {}
    for name, f in model.model_fields.items():
        bounds = [m for m in f.metadata if isinstance(m, Bounds)]
        if bounds:
            out[name] = (*bounds[0], f.annotation.__args__[0] is int, f.default)
    return out


@st.composite
def near_default(draw, lo, hi, integers, default):
    """A valid range near the default (values far from it make huge meshes: slow, not wrong)."""
    d0, d1 = default
    span = max(d1 - d0, abs(d1) * 0.5, 1 if integers else 0.05)
    a_lo, a_hi = max(lo, d0 - span / 2), min(hi, d1 + span / 2)
    if integers:
        a, b = (draw(st.integers(math.ceil(a_lo), math.floor(a_hi))) for _ in range(2))
    else:
        a, b = (draw(st.floats(a_lo, a_hi, allow_nan=False)) for _ in range(2))
    return sorted([a, b])


@st.composite
def entry(draw, model, extra=None, keep=()):
    """A recipe entry with some of its ranges set (not those in keep)."""
    fields = {k: v for k, v in range_fields(model).items() if k not in keep}
    chosen = draw(st.lists(st.sampled_from(sorted(fields)), unique=True, max_size=3)) if fields else []
    return {**(extra or {}), **{k: draw(near_default(*fields[k])) for k in chosen}}


@st.composite
def recipes(draw) -> dict:
    categories = draw(st.lists(st.sampled_from(CATEGORY_POOL), min_size=1, max_size=3, unique=True))
    kinds = draw(st.lists(st.sampled_from(sorted(DEFECT_TYPES)), min_size=len(categories), max_size=4, unique=True))
    defects = {"count": draw(near_default(1, 50, True, (1, 3)))}
    for i, kind in enumerate(kinds):  # every category gets a defect type; a type may be a list of entries
        cat = categories[i] if i < len(categories) else draw(st.sampled_from(categories))
        model = DEFECT_TYPES[kind].Recipe
        item = draw(entry(model, {"category": cat}))
        defects[kind] = [item, draw(entry(model, {"category": draw(st.sampled_from(categories))}))] \
            if draw(st.booleans()) else item
    parts = {k: draw(entry(PART_TYPES[k].Recipe, keep=COUPLED.get(k, ())))
             for k in draw(st.lists(st.sampled_from(PARTS), min_size=1, max_size=2, unique=True))}
    out = {"name": draw(st.from_regex(r"[A-Za-z0-9_-][A-Za-z0-9_.-]{0,10}", fullmatch=True)),
           "categories": categories, "parts": parts, "defects": defects}
    for key in draw(st.lists(st.sampled_from(sorted(SECTIONS)), unique=True, max_size=2)):
        out[key] = draw(entry(SECTIONS[key]))
    return out


def range_paths(r: dict) -> list[tuple]:
    """Paths (keys and list indices) of every range set in a recipe."""
    out = []

    def walk(v, path):
        if isinstance(v, dict):
            for k, x in v.items():
                walk(x, (*path, k))
        elif isinstance(v, list) and v and all(isinstance(x, dict) for x in v):
            for i, x in enumerate(v):
                walk(x, (*path, i))
        elif isinstance(v, list) and len(v) == 2 and all(isinstance(x, (int, float)) for x in v):
            out.append(path)

    walk(r, ())
    return out


def put(r: dict, path: tuple, value) -> None:
    for k in path[:-1]:
        r = r[k]
    r[path[-1]] = value


def entries(r: dict) -> list[dict]:
    """Every part and defect entry (they have a `weight`)."""
    out = list(r["parts"].values())
    for k, v in r["defects"].items():
        if k != "count":
            out += v if isinstance(v, list) else [v]
    return out


@st.composite
def mistakes(draw, r: dict):
    """One mistake a user could make: (recipe dict or YAML text, what it is)."""
    kind = draw(st.sampled_from(["range_not_finite", "range_reversed", "range_out_of_bounds", "range_wrong_type",
                                 "unknown_key", "missing_key", "bad_name", "bad_categories", "bad_weight",
                                 "unknown_category", "top_level", "duplicate_key", "yaml_syntax"]))
    paths = range_paths(r)
    if kind == "range_not_finite":
        p = draw(st.sampled_from(paths))
        put(r, p, [draw(st.sampled_from([math.nan, math.inf, -math.inf])), 1.0][::draw(st.sampled_from([1, -1]))])
    elif kind == "range_reversed":
        put(r, draw(st.sampled_from(paths)), [2, 1])
    elif kind == "range_out_of_bounds":
        put(r, draw(st.sampled_from(paths)), [-1e9, -1e9] if draw(st.booleans()) else [1e9, 1e9])
    elif kind == "range_wrong_type":
        put(r, draw(st.sampled_from(paths)), draw(st.sampled_from(["abc", [1], [1, 2, 3], {"a": 1}, None, True])))
    elif kind == "unknown_key":
        target = draw(st.sampled_from([r, *entries(r), r["defects"]]))
        target["colour"] = 1
    elif kind == "missing_key":
        del r[draw(st.sampled_from(["name", "categories", "parts", "defects"]))]
    elif kind == "bad_name":
        r["name"] = draw(st.sampled_from(["..", ".", "a/b", "", "x y", "ü", 7]))
    elif kind == "bad_categories":
        cats = r["categories"]
        r["categories"] = draw(st.sampled_from([[], [*cats, ""], [*cats, cats[0]], [*cats, "never_drawn"], "abc",
                                                [*cats, 3]]))
    elif kind == "bad_weight":
        draw(st.sampled_from(entries(r)))["weight"] = draw(st.sampled_from([0, -1, math.nan, math.inf, "x"]))
    elif kind == "unknown_category":
        draw(st.sampled_from(entries(r)[len(r["parts"]):]))["category"] = "not_a_category"
    elif kind == "top_level":
        return yaml.safe_dump(draw(st.sampled_from([[r], "text", None, 42]))), kind
    elif kind == "duplicate_key":
        return yaml.safe_dump(r) + f"name: {r.get('name', 'x')}\n", kind
    elif kind == "yaml_syntax":
        return yaml.safe_dump(r) + "parts: [unclosed\n", kind
    return r, kind


@given(data=st.data())
def test_a_random_recipe_prepares_or_is_refused_in_one_line(data, tmp_path_factory):
    r = data.draw(recipes())
    mistake = None
    if data.draw(st.booleans()):
        r, mistake = data.draw(mistakes(r))
    tmp = tmp_path_factory.mktemp("recipe")
    scene, out = tmp / "scene.yaml", tmp / "out"
    scene.write_text(r if isinstance(r, str) else yaml.safe_dump(r))
    result = invoke("render", "--scene", scene, "--out", out, "--n", "1", "--prepare-only", "--resolution", "32x32")
    event(f"{mistake or 'valid'}: exit {result[0]}")  # pytest --hypothesis-show-statistics
    if result[0] == 0:
        assert mistake is None, mistake
        frame = out / r["name"] / "frames" / "000001"
        assert (frame / "spec.json").is_file() and (frame / "mesh.npz").is_file()
    else:  # a valid schema can still be refused by a part's own check (a tile wider than 3x its radius)
        assert_refused(result, str(scene))
        assert not out.exists(), mistake


# ---- splits -------------------------------------------------------------------------------------
@st.composite
def splits(draw, root: Path) -> tuple[Path, str | None]:
    """A small split of noise images with rectangles and ellipses as instances, and maybe one corruption."""
    names = draw(st.lists(st.sampled_from(CATEGORY_POOL), min_size=1, max_size=3, unique=True))
    mode = draw(st.sampled_from(["rle", "polygon"]))
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    root.mkdir(parents=True)
    coco = CocoWriter(root, categories_from_names(names))
    for i in range(draw(st.integers(1, 4))):
        w, h = draw(st.integers(8, 48)), draw(st.integers(8, 48))
        write_image(root / f"im{i}.png", rng.integers(0, 255, (h, w, 3), dtype=np.uint8))
        image_id = coco.add_image(f"im{i}.png", w, h)
        for _ in range(draw(st.integers(0, 3))):
            x0, y0 = draw(st.integers(0, w - 2)), draw(st.integers(0, h - 2))
            x1, y1 = draw(st.integers(x0 + 1, w)), draw(st.integers(y0 + 1, h))
            mask = np.zeros((h, w), bool)
            if draw(st.booleans()):
                mask[y0:y1, x0:x1] = True
            else:
                yy, xx = np.mgrid[:h, :w]
                mask = ((xx - (x0 + x1) / 2) / (x1 - x0)) ** 2 + ((yy - (y0 + y1) / 2) / (y1 - y0)) ** 2 <= 0.25
            enc = encode_instance(mask, mode)
            if enc is not None:
                coco.add_annotation(image_id, draw(st.integers(1, len(names))), *enc)
    n_images, n_annotations = coco.n_images, coco.n_annotations
    coco.close()
    applicable = [k for k in CORRUPTIONS if (n_images > 1 or k != "duplicate_image_id")
                  and (n_annotations or k not in ANNOTATION_CORRUPTIONS)
                  and (mode == "rle" and n_annotations or k not in ("rle_size_differs", "garbled_rle_counts"))]
    kind = draw(st.sampled_from([None, None, *applicable]))
    if kind is not None:
        corrupt(root, kind)
    return root, kind


ANNOTATION_CORRUPTIONS = {"unknown_image_id", "category_id_0", "unknown_category_id", "category_id_is_a_list",
                          "two_point_polygon", "bbox_off", "area_nan"}


@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    return toy_split(tmp_path_factory.mktemp("ref") / "ref", CATEGORY_POOL, 3, seed=1)


@given(data=st.data())
def test_a_random_split_is_sliced_composed_and_previewed_or_refused_in_one_line(data, reference):
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        split, kind = data.draw(splits(tmp / "split"))
        check = validate_split(split)
        ok = check.ok
        event(kind or "valid")
        assert ok == (kind is None) or kind == "garbled_rle_counts", (kind, check.errors[:3])  # all are caught
        tile = str(data.draw(st.integers(8, 40)))
        runs = {
            "tiles": ("slice", split, "--out", tmp / "tiles", "--tile", tile,
                      "--overlap", str(data.draw(st.sampled_from([0, 0.2, 0.5]))),
                      "--keep-empty", str(data.draw(st.sampled_from([0, 1]))),
                      "--min-area", str(data.draw(st.integers(1, 16)))),
            "final": ("compose", "--reference", reference, "--synthetic", split, "--out", tmp / "final",
                      "--sample", "0"),
            "sheet.png": ("preview", split, "--out", tmp / "sheet.png", "--n", "4", "--side", "32"),
        }
        for out, args in runs.items():
            result = invoke(*args)
            if ok:
                assert result[0] == 0, (args[0], result)
                if out != "sheet.png":
                    rep = validate_split(tmp / out, reference=reference if out == "final" else None)
                    assert rep.ok, (args[0], rep.errors[:3])
            else:
                assert_refused(result, str(split), "fails validation" if kind != "top_level_is_a_list" else "top level")
                assert not (tmp / out).exists(), (args[0], kind)
        assert not leftovers(tmp)
