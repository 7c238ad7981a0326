import pytest

from render.config import DEFAULT_SCENE, SCENES_DIR, load_quality, load_scene
from render.errors import UserError


def write(tmp_path, text, name="scene.yaml"):
    p = tmp_path / name
    p.write_text(text)
    return p


def test_every_scene_and_preset_loads():
    for p in SCENES_DIR.glob("*.yaml"):
        assert load_scene(p).categories
    assert load_quality("preview").samples > 0
    assert load_quality("final").resolution == (1024, 1024)


def test_unknown_key_names_key_and_file(tmp_path):
    text = DEFAULT_SCENE.read_text().replace("  count: [1, 4]", "  count: [1, 4]\n  colour: red")
    p = write(tmp_path, text)
    with pytest.raises(UserError) as e:
        load_scene(p)
    assert "defects.colour" in str(e.value) and str(p) in str(e.value) and "unknown key" in str(e.value)


def test_out_of_range_and_reversed_ranges(tmp_path):
    text = DEFAULT_SCENE.read_text().replace("width: [0.2, 0.7]", "width: [0.7, 0.2]")
    with pytest.raises(UserError, match=r"defects\.scratch\.width: low 0.7 is above high 0.2"):
        load_scene(write(tmp_path, text))
    text = DEFAULT_SCENE.read_text().replace("roughness: [0.15, 0.45]", "roughness: [0.15, 1.5]")
    with pytest.raises(UserError, match=r"material\.roughness: must lie within"):
        load_scene(write(tmp_path, text))


def test_category_must_be_declared(tmp_path):
    text = DEFAULT_SCENE.read_text().replace("    category: dent", "    category: bump")
    with pytest.raises(UserError, match="'bump' is not in categories"):
        load_scene(write(tmp_path, text))


def test_missing_malformed_and_non_mapping(tmp_path):
    with pytest.raises(UserError, match="scene recipe not found"):
        load_scene(tmp_path / "nope.yaml")
    with pytest.raises(UserError, match=r"not valid YAML \(line \d+, column \d+\)"):
        load_scene(write(tmp_path, "name: x\ncategories: [a\n"))
    with pytest.raises(UserError, match="expected a mapping"):
        load_scene(write(tmp_path, "- a\n- b\n"))


def test_recipe_is_never_evaluated(tmp_path):
    # a python tag must not be constructed: safe_load refuses it
    p = write(tmp_path, "name: !!python/object/apply:os.system ['touch pwned']\n")
    with pytest.raises(UserError, match="not valid YAML"):
        load_scene(p)
    assert not (tmp_path / "pwned").exists()


def test_unknown_quality_preset_lists_known():
    with pytest.raises(UserError, match=r"unknown quality preset 'ultra' \(known: final, preview\)"):
        load_quality("ultra")


def test_quality_overrides_are_validated():
    assert load_quality("preview", resolution=(64, 48)).resolution == (64, 48)
    with pytest.raises(UserError, match="resolution"):
        load_quality("preview", resolution=(4, 4))


def test_every_recipe_key_is_documented_in_the_readme():
    from pydantic import BaseModel

    from render.config import PROJECT_ROOT, SceneRecipe

    readme = (PROJECT_ROOT / "README.md").read_text()
    section = readme[readme.index("## Scene recipes"):readme.index("## How it works")]

    def keys(model, prefix=""):
        for name, field in model.model_fields.items():
            yield prefix + name, name
            t = field.annotation
            for cand in getattr(t, "__args__", (t,)):
                if isinstance(cand, type) and issubclass(cand, BaseModel):
                    yield from keys(cand, prefix + name + ".")

    missing = [full for full, name in keys(SceneRecipe) if f"`{name}`" not in section and f"`{full}`" not in section]
    assert not missing, f"recipe keys missing from the README's recipe section: {missing}"
