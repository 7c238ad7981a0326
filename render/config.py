"""Scene recipes (scenes/*.yaml) and quality presets (configs/*.yaml): loading and validation.

A recipe is data. It is read with yaml.safe_load and checked by pydantic models that forbid
unknown keys and out-of-range values; nothing in it is evaluated, imported or run. Every range
is written `[low, high]` and sampled uniformly by render/sampling. The `parts` and `defects`
sections have one key per registered part and defect type: each type's module brings its own
recipe model.
"""

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, Field, ValidationError, create_model, field_validator, model_validator

from render.defects.registry import DEFECT_TYPES
from render.errors import UserError
from render.parts.registry import PART_TYPES
from render.ranges import IntRange, Range, Resolution, Strict

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCENES_DIR = PROJECT_ROOT / "scenes"
CONFIGS_DIR = PROJECT_ROOT / "configs"
DEFAULT_SCENE = SCENES_DIR / "metal_parts.yaml"


class _Parts(Strict):
    """One optional entry per part type (fields made from render.parts.registry)."""

    def enabled(self) -> dict[str, BaseModel]:
        return {k: v for k in PART_TYPES if (v := getattr(self, k)) is not None}

    @model_validator(mode="after")
    def _one_part(self):
        if not self.enabled():
            raise ValueError(f"name at least one part ({', '.join(PART_TYPES)})")
        return self


PartsRecipe = create_model("PartsRecipe", __base__=_Parts,
                           **{k: (cls.Recipe | None, None) for k, cls in PART_TYPES.items()})


class _Defects(Strict):
    """`count` and one optional entry per defect type (fields made from render.defects.registry)."""

    count: IntRange(0, 50) = (1, 4)  # defect instances per frame

    def enabled(self) -> list[tuple[str, BaseModel]]:
        """(defect type, its recipe) for every entry; a type given as a list (several categories
        drawn from one defect family) contributes each item."""
        out = []
        for k in DEFECT_TYPES:
            v = getattr(self, k)
            out += [(k, item) for item in (v if isinstance(v, list) else [v] if v is not None else [])]
        return out


DefectsRecipe = create_model("DefectsRecipe", __base__=_Defects,
                             **{k: (cls.Recipe | list[cls.Recipe] | None, None) for k, cls in DEFECT_TYPES.items()})


# ---- look --------------------------------------------------------------------------------
class MaterialRecipe(Strict):
    """Physically based surface (metal by default; metallic 0 for plastic, ceramic, paint;
    transmission 1 for glass); colour as HSV ranges."""

    value: Range(0, 1) = (0.55, 0.9)
    saturation: Range(0, 1) = (0.0, 0.08)
    hue: Range(0, 1) = (0.0, 1.0)
    metallic: Range(0, 1) = (0.9, 1.0)
    roughness: Range(0, 1) = (0.15, 0.45)
    brushing: Range(0, 1) = (0.0, 0.6)  # strength of the directional machining marks
    grain: Range(0, 1) = (0.05, 0.3)  # strength of the isotropic micro-texture
    grain_scale: Range(0.01, 100) = (3, 3)  # micro-texture features per mm (low: coarse, sand-cast)
    relief: Range(0.001, 5) = (0.02, 0.02)  # mm, bump depth of the machining marks and grain
    transmission: Range(0, 1) = (0.0, 0.0)  # 1: glass
    ior: Range(1, 3) = (1.5, 1.5)  # index of refraction (glass 1.5)


LIGHT_RIGS = ("area", "ring", "coaxial", "grazing", "bar", "dome")


class LightsRecipe(Strict):
    """Lighting: per frame one rig is drawn from `rigs`; `area` places area lights on a hemisphere
    around the part, aimed at it (the other rigs are described in the README)."""

    rigs: list[Literal[LIGHT_RIGS]] = Field(default=["area"], min_length=1)
    count: IntRange(1, 8) = (1, 3)
    # brightness of the emitter itself: 1 is white when seen in a mirror at exposure 0, which is
    # what a metal part shows. Power follows from it and the size (P = radiance * pi * area).
    radiance: Range(0, 1000) = (0.4, 1.8)
    size: Range(1, 5000) = (40, 250)  # mm, side of the square emitter
    distance: Range(10, 100000) = (150, 500)  # mm from the part centre
    elevation: Range(0, 90) = (20, 85)  # degrees above the part's base plane
    temperature: Range(1000, 15000) = (4000, 7500)  # K
    ring_radius: Range(1, 2000) = (20, 60)  # mm, ring light around the lens
    grazing_elevation: Range(0, 45) = (3, 15)  # degrees, low-angle lights
    bar_length: Range(10, 5000) = (150, 400)  # mm, bar light


HDRIS = ("city", "courtyard", "forest", "interior", "night", "studio", "sunrise", "sunset")  # Blender's own


class WorldRecipe(Strict):
    """Surroundings that metal and glass reflect: the studio gradient, or per frame one of the
    environment images (HDRIs) that ship with Blender, turned about z."""

    strength: Range(0, 100) = (0.05, 0.6)
    hdri: list[Literal[("gradient", *HDRIS)]] = []  # drawn per frame; gradient: the studio gradient
    hdri_strength: Range(0, 100) = (0.3, 1.0)


class LayoutRecipe(Strict):
    """Several parts per frame: the first where the camera looks, the others beside it."""

    parts: IntRange(1, 8) = (1, 1)  # parts per frame
    spacing: Range(0, 10) = (0.05, 0.5)  # gap between neighbours, as a fraction of the first part's radius


class FixturesRecipe(Strict):
    """What the parts lie in or under: chances per frame (tray and conveyor exclude each other)."""

    tray: float = Field(0.0, ge=0, le=1)  # a shallow tray around the parts
    conveyor: float = Field(0.0, ge=0, le=1)  # a belt under them, with side rails
    clamps: float = Field(0.0, ge=0, le=1)  # hold-down clamps reaching over the first part's edge
    clamp_count: IntRange(1, 4) = (1, 2)
    height: Range(1, 500) = (5, 20)  # mm, tray walls and conveyor rails

    @model_validator(mode="after")
    def _one_support(self):
        if self.tray + self.conveyor > 1:
            raise ValueError(f"tray + conveyor is a chance of one support: at most 1, got {self.tray + self.conveyor}")
        return self


class GroundRecipe(Strict):
    value: Range(0, 1) = (0.03, 0.35)  # grey level of the table under the part


class CameraRecipe(Strict):
    focal_length: Range(1, 2000) = (35, 100)  # mm on a 36 mm sensor
    tilt: Range(0, 80) = (0, 50)  # degrees between the line of sight and the defect surface's normal
    fill: Range(0.1, 10) = (0.7, 1.8)  # part bounding diameter / frame size (>1: close-up)
    jitter: Range(0, 1) = (0.0, 0.15)  # look-at offset, fraction of the part size
    exposure: Range(-10, 10) = (-0.5, 0.5)  # EV
    roll: Range(-360, 360) = (0, 360)  # degrees of rotation about the line of sight
    grayscale: bool = False  # a mono camera: images are written as grey
    depth_of_field: float = Field(0.0, ge=0, le=1)  # chance a frame uses a real lens aperture (else pinhole)
    resolution: Resolution | None = None  # width, height in px; overrides the quality preset's
    f_stop: Range(0.5, 128) = (2.8, 11)  # aperture when it does; focus on the surface seen at the look-at point


class SensorRecipe(Strict):
    """Camera sensor effects applied to the rendered image (all off by default)."""

    blur: Range(0, 10) = (0.0, 0.0)  # Gaussian sigma in pixels (focus, lens)
    vignetting: Range(0, 0.9) = (0.0, 0.0)  # darkening at the image corners, fraction
    noise: Range(0, 50) = (0.0, 0.0)  # read noise, std in grey levels
    shot_noise: Range(0, 50) = (0.0, 0.0)  # photon noise, std in grey levels at white
    jpeg_quality: Range(5, 100) = (100, 100)  # 100 = no JPEG compression


class SceneRecipe(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")  # a directory under --out: one plain path component
    categories: list[str] = Field(min_length=1)
    parts: PartsRecipe
    defects: DefectsRecipe
    material: MaterialRecipe = MaterialRecipe()
    lights: LightsRecipe = LightsRecipe()
    world: WorldRecipe = WorldRecipe()
    ground: GroundRecipe = GroundRecipe()
    camera: CameraRecipe = CameraRecipe()
    sensor: SensorRecipe = SensorRecipe()
    layout: LayoutRecipe = LayoutRecipe()
    fixtures: FixturesRecipe = FixturesRecipe()

    @field_validator("name")
    @classmethod
    def _plain_name(cls, v: str) -> str:
        if v in (".", ".."):  # <out>/. or <out>/.. would put train/ beside or above --out
            raise ValueError(f"must be a plain directory name, not '{v}'")
        return v

    @field_validator("categories")
    @classmethod
    def _category_names(cls, v: list[str]) -> list[str]:
        if not all(n.strip() for n in v):
            raise ValueError(f"every category needs a name (COCO and the trainer read it), got {v}")
        if len(set(v)) != len(v):
            raise ValueError(f"categories must be unique, got {v}")
        return v

    @model_validator(mode="after")
    def _categories(self):
        for kind, d in self.defects.enabled():
            if d.category not in self.categories:
                raise ValueError(f"defects.{kind}.category '{d.category}' is not in categories {self.categories}")
        if self.defects.count[1] > 0 and not self.defects.enabled():
            raise ValueError(f"defects: enable at least one defect type ({', '.join(DEFECT_TYPES)}) "
                             "or set count: [0, 0]")
        drawn = {d.category for _, d in self.defects.enabled()}
        if self.defects.count[1] > 0 and (never := [c for c in self.categories if c not in drawn]):
            raise ValueError(f"categories {never} have no defect type: give a defects entry `category: "
                             f"{never[0]}`, or remove it (it would never be drawn)")
        return self


# ---- quality presets ---------------------------------------------------------------------
class MeshQuality(Strict):
    base_segments: int = Field(160, ge=8, le=4000)  # edges along the part's largest side
    across_groove: float = Field(5, ge=2, le=40)  # mesh edges across one groove width
    min_spacing: float = Field(0.005, gt=0, le=10)  # mm, floor on refinement


class QualityPreset(Strict):
    resolution: Resolution = (512, 512)  # width, height in pixels
    samples: int = Field(32, ge=1, le=65536)
    adaptive_threshold: float = Field(0.02, ge=0, le=1)  # 0 turns adaptive sampling off
    denoise: bool = True
    denoise_quality: Literal["fast", "balanced", "high"] = "balanced"  # OpenImageDenoise
    max_bounces: int = Field(6, ge=0, le=128)
    # Cycles' light tree; auto: on for a frame with 3 or more lights (a ring light is 8), where it
    # samples them better; off for one or two, where it costs time (bench/render_quality.py)
    light_tree: bool | Literal["auto"] = "auto"
    view_transform: Literal["Standard", "AgX", "Filmic"] = "Standard"
    mesh: MeshQuality = MeshQuality()
    min_area: int = Field(16, ge=1)  # px: smaller visible instances are dropped
    min_contrast: float = Field(5.0, ge=0, le=255)  # 8-bit levels of the most changed channel
    annotation: Literal["rle", "polygon"] = "rle"
    batch_size: int = Field(50, ge=1, le=100000)  # frames per Blender process


# ---- loading -----------------------------------------------------------------------------
class _UniqueKeyLoader(yaml.SafeLoader):
    """safe_load that refuses a key given twice in one mapping (PyYAML keeps the last silently)."""

    def construct_mapping(self, node, deep=False):
        seen = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:  # an unhashable key: SafeLoader's own error names it
                continue
            if duplicate:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key '{key}'", key_node.start_mark)
        return super().construct_mapping(node, deep)


def _read_yaml(path: Path, what: str) -> dict:
    if not path.exists():
        raise UserError(f"{what} not found: {path}")
    if not path.is_file():
        raise UserError(f"{what} is not a file: {path}")
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_UniqueKeyLoader)  # a SafeLoader
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" (line {mark.line + 1}, column {mark.column + 1})" if mark else ""
        raise UserError(f"{path}: not valid YAML{where}: {getattr(e, 'problem', e)}") from None
    except UnicodeDecodeError:
        raise UserError(f"{path}: not a text file") from None
    if not isinstance(data, dict):
        raise UserError(f"{path}: expected a mapping of keys at the top level, got {type(data).__name__}")
    return data


def _union_tag(part) -> bool:
    """pydantic names the branch of `X | list[X]` in an error's location: 'XRecipe', 'list[XRecipe]'."""
    return isinstance(part, str) and (part.endswith("Recipe") or part.startswith("list["))


def _explain(path: Path, err: ValidationError, origins: dict[str, str] | None = None) -> UserError:
    """One line per problem, naming the file and key, or what set that key (origins: key -> a flag)."""
    errors = err.errors()
    # for a key that may be one recipe or a list of them, the branch the input does not take
    # only says "should be a list/dict": keep the errors of the branch it does take
    wrong_shape = {"list_type", "model_type", "dict_type", "model_attributes_type"}
    errors = [e for e in errors if not (any(map(_union_tag, e["loc"])) and e["type"] in wrong_shape)] or errors
    lines = []
    for e in errors:
        loc = ".".join(str(p) for p in e["loc"] if not _union_tag(p))
        origin = (origins or {}).get(str(e["loc"][0])) if e["loc"] else None
        if origin:
            lines.append(f"{origin}: {e['msg'].removeprefix('Value error, ')}")
        elif e["type"] == "extra_forbidden":
            lines.append(f"{path}: unknown key '{loc}' (check spelling; README lists every key)")
        elif e["type"] == "missing":
            lines.append(f"{path}: missing required key '{loc}'")
        else:
            msg = e["msg"].removeprefix("Value error, ")
            lines.append(f"{path}: {loc + ': ' if loc else ''}{msg}")
    return UserError("\n".join(lines))


def load_scene(path: str | Path) -> SceneRecipe:
    path = Path(path)
    try:
        recipe = SceneRecipe.model_validate(_read_yaml(path, "scene recipe"),
                                            context={"recipe_dir": path.resolve().parent})
    except ValidationError as e:
        raise _explain(path, e) from None
    for kind, r in recipe.parts.enabled().items():
        PART_TYPES[kind].check_recipe(r)
    return recipe


def quality_path(name_or_path: str) -> Path:
    """A preset name (configs/<name>.yaml) or a path to a preset file."""
    p = Path(name_or_path)
    if p.suffix in (".yaml", ".yml"):
        return p
    candidate = CONFIGS_DIR / f"{name_or_path}.yaml"
    if not candidate.exists():
        known = sorted(q.stem for q in CONFIGS_DIR.glob("*.yaml"))
        raise UserError(f"unknown quality preset '{name_or_path}' (known: {', '.join(known)})")
    return candidate


def load_quality(name_or_path: str, origins: dict[str, str] | None = None, **overrides) -> QualityPreset:
    """The preset with overrides; origins names what set an override (e.g. "--samples") for errors."""
    path = quality_path(name_or_path)
    data = _read_yaml(path, "quality preset")
    overrides = {k: v for k, v in overrides.items() if v is not None}
    data.update(overrides)
    try:
        return QualityPreset.model_validate(data)
    except ValidationError as e:
        raise _explain(path, e, {k: v for k, v in (origins or {}).items() if k in overrides}) from None
