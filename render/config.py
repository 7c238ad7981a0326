"""Scene recipes (scenes/*.yaml) and quality presets (configs/*.yaml): loading and validation.

A recipe is data. It is read with yaml.safe_load and checked by pydantic models that forbid
unknown keys and out-of-range values; nothing in it is evaluated, imported or run. Every range
is written `[low, high]` and sampled uniformly by render/sampling.
"""

from pathlib import Path
from typing import Annotated, Literal

import yaml
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    ValidationInfo,
    field_validator,
    model_validator,
)

from render.errors import UserError

PROJECT_ROOT = Path(__file__).resolve().parent.parent
SCENES_DIR = PROJECT_ROOT / "scenes"
CONFIGS_DIR = PROJECT_ROOT / "configs"
DEFAULT_SCENE = SCENES_DIR / "metal_parts.yaml"


def _range(lo: float, hi: float, kind: type = float):
    """A `[low, high]` pair of `kind` with lo <= low <= high <= hi."""

    def check(v):
        a, b = v
        if a > b:
            raise ValueError(f"low {a} is above high {b}")
        if a < lo or b > hi:
            raise ValueError(f"must lie within [{lo}, {hi}], got [{a}, {b}]")
        return v

    return Annotated[tuple[kind, kind], AfterValidator(check)]


def _int_range(lo: int, hi: int):
    return _range(lo, hi, int)


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# ---- parts -------------------------------------------------------------------------------
class GroovesRecipe(Strict):
    """Parallel machined grooves across the defect surface (a grooved plate, a thread)."""

    count: _int_range(1, 400) = (3, 8)
    width: _range(0.01, 100) = (0.6, 2)  # mm
    depth: _range(0.01, 50) = (0.2, 1)  # mm
    profiles: list[Literal["v", "u", "flat"]] = Field(default=["v", "u", "flat"], min_length=1)
    probability: float = Field(1.0, ge=0, le=1)  # chance that a frame's part has grooves
    helix: bool = False  # cylinders only: one continuous helical groove (a screw thread), lead = pitch


class HolesRecipe(Strict):
    """Button holes and openings moulded into a panel: recesses with a steep wall and a dark floor."""

    count: _int_range(0, 50) = (1, 4)
    size: _range(0.5, 500) = (4, 12)  # mm, each side (drawn separately; round holes use one)
    shapes: list[Literal["round", "rect"]] = Field(default=["round", "rect"], min_length=1)
    corner: _range(0, 0.5) = (0.1, 0.4)  # rect corner radius, as a fraction of the shorter side
    depth: _range(0.1, 100) = (1.5, 4)  # mm, kept below 0.8 x the plate's thickness
    wall: _range(0.02, 5) = (0.1, 0.3)  # mm, width of the rim's rounded slope
    probability: float = Field(1.0, ge=0, le=1)  # chance that a frame's panel has holes


class PlateRecipe(Strict):
    """Machined flat plate; defects go on the top face."""

    weight: float = Field(1.0, gt=0)
    width: _range(1, 2000) = (40, 80)  # mm, along x
    length: _range(1, 2000) = (30, 60)  # mm, along y
    thickness: _range(0.5, 500) = (3, 8)  # mm
    grooves: GroovesRecipe | None = None  # along x or y (seams of a housing, a grooved plate)
    holes: HolesRecipe | None = None  # button holes (a housing panel)

    @model_validator(mode="after")
    def _no_thread(self):
        if self.grooves is not None and self.grooves.helix:
            raise ValueError("grooves.helix makes a screw thread: it is for cylinders, not plates")
        return self


class CylinderRecipe(Strict):
    """Upright cylinder (turned shaft, piston); defects go on the lateral surface."""

    weight: float = Field(1.0, gt=0)
    radius: _range(1, 1000) = (8, 20)  # mm
    height: _range(1, 2000) = (25, 60)  # mm
    grooves: GroovesRecipe | None = None  # around the axis (turned grooves, a thread)


class TileRecipe(Strict):
    """Curved tile (magnetic tile, shell segment); defects go on the convex top."""

    weight: float = Field(1.0, gt=0)
    radius: _range(1, 5000) = (20, 40)  # mm, curvature radius of the top
    width: _range(1, 2000) = (15, 30)  # mm of arc across the axis (must stay below pi * radius)
    length: _range(1, 2000) = (20, 50)  # mm along the axis
    thickness: _range(0.5, 500) = (3, 6)  # mm at the edges

    @model_validator(mode="after")
    def _arc(self):
        if self.width[1] >= 3.0 * self.radius[0]:
            raise ValueError(f"width {self.width[1]} is too large for radius {self.radius[0]} "
                             "(keep width < 3 x radius)")
        return self


class RingRecipe(Strict):
    """Ring / washer lying flat; defects go on the top face (an annulus)."""

    weight: float = Field(1.0, gt=0)
    outer_radius: _range(1, 1000) = (12, 30)  # mm
    width: _range(0.5, 1000) = (4, 10)  # mm, outer minus inner radius (kept below the outer radius)
    thickness: _range(0.3, 500) = (2, 5)  # mm

    @model_validator(mode="after")
    def _hole(self):
        if self.width[1] >= self.outer_radius[0]:
            raise ValueError(f"width {self.width[1]} must stay below outer_radius {self.outer_radius[0]}")
        return self


class DomeRecipe(Strict):
    """Dome / hemisphere (a spherical cap standing on its flat base); defects go on the cap."""

    weight: float = Field(1.0, gt=0)
    radius: _range(1, 1000) = (10, 25)  # mm, sphere radius
    height: _range(0.1, 1) = (0.6, 1.0)  # cap height as a fraction of the radius (1 = hemisphere)


class MeshRecipe(Strict):
    """Your own part mesh (STL, OBJ, PLY, GLB/glTF, OFF); defects go on a patch the camera sees."""

    weight: float = Field(1.0, gt=0)
    path: str  # the mesh file, relative to the recipe file (or absolute)
    up: Literal["z", "-z", "y", "-y", "x", "-x"] = "z"  # the file's up axis (glTF files are y-up)
    size: _range(1, 5000) = (40, 80)  # mm, the mesh's longest side after scaling
    patch: _range(0.05, 1) = (0.25, 0.4)  # side of the square defect patch, as a fraction of size

    @field_validator("path")
    @classmethod
    def _resolve(cls, v: str, info: ValidationInfo) -> str:
        base = (info.context or {}).get("recipe_dir")
        p = Path(v).expanduser()
        return str((Path(base) / p).resolve() if base is not None and not p.is_absolute() else p.resolve())


PART_TYPES = ("plate", "cylinder", "tile", "ring", "dome", "mesh")


class PartsRecipe(Strict):
    plate: PlateRecipe | None = None
    cylinder: CylinderRecipe | None = None
    tile: TileRecipe | None = None
    ring: RingRecipe | None = None
    dome: DomeRecipe | None = None
    mesh: MeshRecipe | None = None

    def enabled(self) -> dict[str, BaseModel]:
        return {k: v for k in PART_TYPES if (v := getattr(self, k)) is not None}

    @model_validator(mode="after")
    def _one_part(self):
        if not self.enabled():
            raise ValueError(f"name at least one part ({', '.join(PART_TYPES)})")
        return self


# ---- defects -----------------------------------------------------------------------------
class ScratchRecipe(Strict):
    """A groove swept along a smooth random curve."""

    category: str = "scratch"
    weight: float = Field(1.0, gt=0)
    length: _range(0.1, 1000) = (4, 25)  # mm, along the curve
    width: _range(0.01, 20) = (0.2, 0.7)  # mm, groove width at the surface
    depth: _range(0.001, 10) = (0.05, 0.25)  # mm
    curvature: _range(0, 5) = (0.0, 0.15)  # 1/mm, mean bending of the curve
    profiles: list[Literal["v", "u", "flat"]] = Field(default=["v", "u", "flat"], min_length=1)
    lip_probability: float = Field(0.5, ge=0, le=1)  # chance of raised lips along the groove
    lip_height: _range(0, 2) = (0.15, 0.4)  # fraction of the depth
    lip_width: _range(0.05, 3) = (0.3, 0.8)  # fraction of the width, each side
    cluster: _int_range(1, 30) = (1, 1)  # strands per instance (> 1: a cluster from one abrasion)
    spread: _range(0.01, 100) = (0.3, 2)  # mm between neighbouring strands of a cluster


class DentRecipe(Strict):
    """A smooth depression, optionally elongated."""

    category: str = "dent"
    weight: float = Field(1.0, gt=0)
    radius: _range(0.1, 200) = (1.5, 5)  # mm, minor semi-axis
    depth: _range(0.001, 50) = (0.15, 0.6)  # mm at the centre
    falloff: _range(0.5, 8) = (1.5, 3)  # exponent of the (1 - r^2)^falloff profile
    elongation: _range(1, 10) = (1, 2.5)  # major / minor semi-axis


class CrackRecipe(Strict):
    """A thin branching fracture: a random-walk V-groove with branches and a dark interior."""

    category: str = "crack"
    weight: float = Field(1.0, gt=0)
    length: _range(0.1, 1000) = (3, 15)  # mm, main path
    width: _range(0.005, 10) = (0.12, 0.35)  # mm at the main path; branches are 0.6x
    depth: _range(0.001, 10) = (0.1, 0.4)  # mm
    wander: _range(0, 90) = (10, 30)  # degrees of heading change per step
    branches: _int_range(0, 10) = (0, 3)
    darken: _range(0, 1) = (0.5, 0.9)  # darkening of the interior


class PitRecipe(Strict):
    """Pits, blowholes, porosity: small steep cavities, one or a cluster per instance."""

    category: str = "pit"
    weight: float = Field(1.0, gt=0)
    radius: _range(0.01, 50) = (0.2, 0.8)  # mm, each cavity
    depth: _range(0.001, 20) = (0.2, 0.6)  # mm
    cluster: _int_range(1, 50) = (1, 1)  # cavities per instance
    spread: _range(0, 100) = (1, 3)  # mm, cluster radius
    darken: _range(0, 1) = (0.2, 0.6)


class StainRecipe(Strict):
    """Stain, dirt, contamination: texture only (darker, rougher), an irregular blob."""

    category: str = "stain"
    weight: float = Field(1.0, gt=0)
    radius: _range(0.05, 500) = (1, 5)  # mm
    elongation: _range(1, 10) = (1, 2)
    irregularity: _range(0, 1) = (0.1, 0.5)  # wobble of the outline
    darken: _range(0, 1) = (0.15, 0.5)


class ChipRecipe(Strict):
    """Material broken off at an edge of the defect surface: a rough scoop through the edge."""

    category: str = "chip"
    weight: float = Field(1.0, gt=0)
    radius: _range(0.05, 100) = (1, 3)  # mm, half the extent along the edge
    elongation: _range(1, 10) = (1, 2)
    depth: _range(0.01, 50) = (0.4, 1.5)  # mm
    irregularity: _range(0, 1) = (0.1, 0.4)  # wobble of the outline
    rough: _range(0, 1) = (0.1, 0.4)  # relief of the break surface, fraction of the depth
    bump: _range(0.01, 10) = (0.2, 0.6)  # mm, size of the break surface's facets
    darken: _range(0, 1) = (0.0, 0.3)


class CollisionRecipe(Strict):
    """Collision / impact mark: a dent with a raised rim of pushed-up material, often near an edge."""

    category: str = "collision"
    weight: float = Field(1.0, gt=0)
    radius: _range(0.1, 100) = (0.8, 3)  # mm, minor semi-axis of the dent
    depth: _range(0.001, 20) = (0.15, 0.6)
    falloff: _range(0.5, 8) = (1, 2)
    elongation: _range(1, 10) = (1, 2)
    rim_height: _range(0, 2) = (0.2, 0.5)  # fraction of the depth
    rim_width: _range(0.05, 2) = (0.2, 0.5)  # fraction of the radius
    edge_probability: float = Field(0.5, ge=0, le=1)  # chance it sits at an edge of the surface


class BurrRecipe(Strict):
    """Burr: a thin raised ridge of material, along an edge or a machined groove or free."""

    category: str = "burr"
    weight: float = Field(1.0, gt=0)
    length: _range(0.1, 1000) = (3, 15)  # mm
    width: _range(0.01, 10) = (0.2, 0.6)  # mm at the base
    height: _range(0.001, 5) = (0.05, 0.25)  # mm
    curvature: _range(0, 5) = (0.0, 0.1)  # 1/mm
    edge_probability: float = Field(0.7, ge=0, le=1)  # chance it runs along an edge of the surface


class GapRecipe(Strict):
    """Gap / misalignment: a straight seam across the whole surface, too wide or stepped."""

    category: str = "gap"
    weight: float = Field(1.0, gt=0)
    width: _range(0.01, 20) = (0.3, 1.2)  # mm
    depth: _range(0.01, 50) = (0.5, 2)  # mm
    step: _range(0, 10) = (0.0, 0.3)  # mm, height offset of one side (misalignment)
    darken: _range(0, 1) = (0.4, 0.8)  # dark seam interior


class UnevenRecipe(Strict):
    """Uneven / unfinished surface: a patch of coarser relief (bumps) with a slightly different look."""

    category: str = "uneven"
    weight: float = Field(1.0, gt=0)
    radius: _range(0.1, 500) = (2, 6)  # mm
    elongation: _range(1, 10) = (1, 2.5)
    irregularity: _range(0, 1) = (0.1, 0.5)
    bump: _range(0.02, 20) = (0.2, 0.6)  # mm, size of the bumps
    bump_height: _range(0.0005, 5) = (0.01, 0.04)  # mm
    darken: _range(0, 1) = (0.0, 0.2)


DEFECT_TYPES = ("scratch", "dent", "crack", "pit", "stain", "chip", "collision", "burr", "gap", "uneven")


class DefectsRecipe(Strict):
    count: _int_range(0, 50) = (1, 4)  # defect instances per frame
    scratch: ScratchRecipe | list[ScratchRecipe] | None = None
    dent: DentRecipe | list[DentRecipe] | None = None
    crack: CrackRecipe | list[CrackRecipe] | None = None
    pit: PitRecipe | list[PitRecipe] | None = None
    stain: StainRecipe | list[StainRecipe] | None = None
    chip: ChipRecipe | list[ChipRecipe] | None = None
    collision: CollisionRecipe | list[CollisionRecipe] | None = None
    burr: BurrRecipe | list[BurrRecipe] | None = None
    gap: GapRecipe | list[GapRecipe] | None = None
    uneven: UnevenRecipe | list[UnevenRecipe] | None = None

    def enabled(self) -> list[tuple[str, BaseModel]]:
        """(defect type, its recipe) for every entry; a type given as a list (several categories
        drawn from one defect family) contributes each item."""
        out = []
        for k in DEFECT_TYPES:
            v = getattr(self, k)
            out += [(k, item) for item in (v if isinstance(v, list) else [v] if v is not None else [])]
        return out


# ---- look --------------------------------------------------------------------------------
class MaterialRecipe(Strict):
    """Physically based surface (metal by default; metallic 0 for plastic, ceramic, paint;
    transmission 1 for glass); colour as HSV ranges."""

    value: _range(0, 1) = (0.55, 0.9)
    saturation: _range(0, 1) = (0.0, 0.08)
    hue: _range(0, 1) = (0.0, 1.0)
    metallic: _range(0, 1) = (0.9, 1.0)
    roughness: _range(0, 1) = (0.15, 0.45)
    brushing: _range(0, 1) = (0.0, 0.6)  # strength of the directional machining marks
    grain: _range(0, 1) = (0.05, 0.3)  # strength of the isotropic micro-texture
    grain_scale: _range(0.01, 100) = (3, 3)  # micro-texture features per mm (low: coarse, sand-cast)
    relief: _range(0.001, 5) = (0.02, 0.02)  # mm, bump depth of the machining marks and grain
    transmission: _range(0, 1) = (0.0, 0.0)  # 1: glass
    ior: _range(1, 3) = (1.5, 1.5)  # index of refraction (glass 1.5)


LIGHT_RIGS = ("area", "ring", "coaxial", "grazing", "bar", "dome")


class LightsRecipe(Strict):
    """Lighting: per frame one rig is drawn from `rigs`; `area` places area lights on a hemisphere
    around the part, aimed at it (the other rigs are described in the README)."""

    rigs: list[Literal[LIGHT_RIGS]] = Field(default=["area"], min_length=1)
    count: _int_range(1, 8) = (1, 3)
    # brightness of the emitter itself: 1 is white when seen in a mirror at exposure 0, which is
    # what a metal part shows. Power follows from it and the size (P = radiance * pi * area).
    radiance: _range(0, 1000) = (0.4, 1.8)
    size: _range(1, 5000) = (40, 250)  # mm, side of the square emitter
    distance: _range(10, 100000) = (150, 500)  # mm from the part centre
    elevation: _range(0, 90) = (20, 85)  # degrees above the part's base plane
    temperature: _range(1000, 15000) = (4000, 7500)  # K
    ring_radius: _range(1, 2000) = (20, 60)  # mm, ring light around the lens
    grazing_elevation: _range(0, 45) = (3, 15)  # degrees, low-angle lights
    bar_length: _range(10, 5000) = (150, 400)  # mm, bar light


class WorldRecipe(Strict):
    """Surrounding studio: a sky-to-floor gradient that metal reflects."""

    strength: _range(0, 100) = (0.05, 0.6)


class GroundRecipe(Strict):
    value: _range(0, 1) = (0.03, 0.35)  # grey level of the table under the part


class CameraRecipe(Strict):
    focal_length: _range(1, 2000) = (35, 100)  # mm on a 36 mm sensor
    tilt: _range(0, 80) = (0, 50)  # degrees between the line of sight and the defect surface's normal
    fill: _range(0.1, 10) = (0.7, 1.8)  # part bounding diameter / frame size (>1: close-up)
    jitter: _range(0, 1) = (0.0, 0.15)  # look-at offset, fraction of the part size
    exposure: _range(-10, 10) = (-0.5, 0.5)  # EV
    roll: _range(-360, 360) = (0, 360)  # degrees of rotation about the line of sight
    grayscale: bool = False  # a mono camera: images are written as grey
    depth_of_field: float = Field(0.0, ge=0, le=1)  # chance a frame uses a real lens aperture (else pinhole)
    f_stop: _range(0.5, 128) = (2.8, 11)  # aperture when it does; focus is on the look-at point


class SensorRecipe(Strict):
    """Camera sensor effects applied to the rendered image (all off by default)."""

    blur: _range(0, 10) = (0.0, 0.0)  # Gaussian sigma in pixels (focus, lens)
    vignetting: _range(0, 0.9) = (0.0, 0.0)  # darkening at the image corners, fraction
    noise: _range(0, 50) = (0.0, 0.0)  # read noise, std in grey levels
    shot_noise: _range(0, 50) = (0.0, 0.0)  # photon noise, std in grey levels at white
    jpeg_quality: _range(5, 100) = (100, 100)  # 100 = no JPEG compression


class SceneRecipe(Strict):
    name: str = Field(pattern=r"^[A-Za-z0-9_.-]+$")
    categories: list[str] = Field(min_length=1)
    parts: PartsRecipe
    defects: DefectsRecipe
    material: MaterialRecipe = MaterialRecipe()
    lights: LightsRecipe = LightsRecipe()
    world: WorldRecipe = WorldRecipe()
    ground: GroundRecipe = GroundRecipe()
    camera: CameraRecipe = CameraRecipe()
    sensor: SensorRecipe = SensorRecipe()

    @model_validator(mode="after")
    def _categories(self):
        if len(set(self.categories)) != len(self.categories):
            raise ValueError(f"categories must be unique, got {self.categories}")
        for kind, d in self.defects.enabled():
            if d.category not in self.categories:
                raise ValueError(f"defects.{kind}.category '{d.category}' is not in categories {self.categories}")
        if self.defects.count[1] > 0 and not self.defects.enabled():
            raise ValueError(f"defects: enable at least one defect type ({', '.join(DEFECT_TYPES)}) "
                             "or set count: [0, 0]")
        return self


# ---- quality presets ---------------------------------------------------------------------
class MeshQuality(Strict):
    base_segments: int = Field(160, ge=8, le=4000)  # edges along the part's largest side
    across_groove: float = Field(5, ge=2, le=40)  # mesh edges across one groove width
    min_spacing: float = Field(0.005, gt=0, le=10)  # mm, floor on refinement


class QualityPreset(Strict):
    resolution: tuple[int, int] = (512, 512)  # width, height in pixels
    samples: int = Field(32, ge=1, le=65536)
    adaptive_threshold: float = Field(0.02, ge=0, le=1)  # 0 turns adaptive sampling off
    denoise: bool = True
    denoise_quality: Literal["fast", "balanced", "high"] = "balanced"  # OpenImageDenoise
    max_bounces: int = Field(6, ge=0, le=128)
    view_transform: Literal["Standard", "AgX", "Filmic"] = "Standard"
    mesh: MeshQuality = MeshQuality()
    min_area: int = Field(16, ge=1)  # px: smaller visible instances are dropped
    min_contrast: float = Field(5.0, ge=0, le=255)  # grey levels: fainter instances are dropped
    annotation: Literal["rle", "polygon"] = "rle"
    batch_size: int = Field(50, ge=1, le=100000)  # frames per Blender process

    @model_validator(mode="after")
    def _resolution(self):
        w, h = self.resolution
        if not (8 <= w <= 16384 and 8 <= h <= 16384):
            raise ValueError(f"resolution must be within 8..16384 pixels a side, got {w}x{h}")
        return self


# ---- loading -----------------------------------------------------------------------------
def _read_yaml(path: Path, what: str) -> dict:
    if not path.exists():
        raise UserError(f"{what} not found: {path}")
    if not path.is_file():
        raise UserError(f"{what} is not a file: {path}")
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
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


def _explain(path: Path, err: ValidationError) -> UserError:
    errors = err.errors()
    # for a key that may be one recipe or a list of them, the branch the input does not take
    # only says "should be a list/dict": keep the errors of the branch it does take
    wrong_shape = {"list_type", "model_type", "dict_type", "model_attributes_type"}
    errors = [e for e in errors if not (any(map(_union_tag, e["loc"])) and e["type"] in wrong_shape)] or errors
    lines = []
    for e in errors:
        loc = ".".join(str(p) for p in e["loc"] if not _union_tag(p))
        if e["type"] == "extra_forbidden":
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
    if recipe.parts.mesh is not None:  # a broken mesh file is reported now, not mid-render
        from render.geometry.user_mesh import load_unit_mesh

        load_unit_mesh(recipe.parts.mesh.path, recipe.parts.mesh.up)
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


def load_quality(name_or_path: str, **overrides) -> QualityPreset:
    path = quality_path(name_or_path)
    data = _read_yaml(path, "quality preset")
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        return QualityPreset.model_validate(data)
    except ValidationError as e:
        raise _explain(path, e) from None
