"""Frame specs: the complete, final description of one frame, and the protocol with Blender.

Standard library only: Blender's Python imports this module too (a render node has no numpy or
pydantic), so both sides read one definition of the spec, the schema version, the device list
and the progress-event prefix.

A spec holds only final values (no ranges, no seeds to draw from), so Blender renders it without
a single random choice and a frame can be re-rendered from its spec alone. Lengths are
millimetres, angles radians, colours linear RGB. Records are frozen; lists become tuples.

The part and each defect's shape are instances of the classes in render/parts and
render/defects, which subclass PartShape and DefectShape and so register their `type` here.
Blender never imports those (it needs only mesh.npz and each defect's id, category and type),
so it reads them as RawShape.
"""

import json
from dataclasses import dataclass, field, fields, replace
from typing import ClassVar

SCHEMA_VERSION = 1
EVENT_PREFIX = "DEFECTSYNTH "  # a line of Blender's stdout that carries a progress event (JSON)
DEVICES = ("auto", "cpu", "cuda", "optix", "hip", "oneapi", "metal")
SPEC_FILE, MESH_FILE, MANIFEST_FILE = "spec.json", "mesh.npz", "manifest.json"  # in a frame directory


def dumps(obj) -> str:
    """Canonical JSON: the same value always gives the same bytes (records as their dicts)."""
    return json.dumps(_plain(obj), sort_keys=True, indent=1, allow_nan=False) + "\n"


def _plain(v):
    if hasattr(v, "to_dict"):
        return v.to_dict()
    if isinstance(v, (tuple, list)):
        return [_plain(x) for x in v]
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    return v


def _frozen(v):
    return tuple(_frozen(x) for x in v) if isinstance(v, (list, tuple)) else v


def optional(default=None, of=None):
    """A field that JSON leaves out while it holds its default (a key only some frames have)."""
    return field(default=default, metadata={"optional": True, "of": of})


def nested(of, default=None):
    """A field holding a record of class `of` (or a tuple of them)."""
    return field(default=default, metadata={"of": of})


@dataclass(frozen=True)
class Record:
    """Base of the spec's records: JSON in and out, field by field."""

    def __post_init__(self):
        for f in fields(self):
            v = getattr(self, f.name)
            if isinstance(v, list):
                object.__setattr__(self, f.name, _frozen(v))

    def to_dict(self) -> dict:
        out = {}
        for f in fields(self):
            v = getattr(self, f.name)
            if f.metadata.get("optional") and v == f.default:
                continue
            out[f.name] = _plain(v)
        return out

    @classmethod
    def from_dict(cls, d: dict):
        known = {f.name: f for f in fields(cls)}
        unknown = set(d) - set(known) - {"type"}
        if unknown:
            raise ValueError(f"{cls.__name__}: unknown keys {sorted(unknown)}")
        kw = {}
        for name, v in d.items():
            if name not in known:  # a shape's "type", which names its class
                continue
            of = known[name].metadata.get("of")
            if of is not None and v is not None:
                v = tuple(of.from_dict(x) for x in v) if isinstance(v, list) else of.from_dict(v)
            kw[name] = v
        return cls(**kw)


_SHAPES: dict[str, dict[str, type]] = {"part": {}, "defect": {}}


@dataclass(frozen=True)
class Shape(Record):
    """A part or a defect shape; its class registers under `type` when it is defined."""

    type: ClassVar[str] = ""
    family: ClassVar[str] = ""

    def __init_subclass__(cls, **kw):
        super().__init_subclass__(**kw)
        if "type" in cls.__dict__:
            known = _SHAPES[cls.family]
            if cls.type in known and known[cls.type].__qualname__ != cls.__qualname__:
                raise TypeError(f"two {cls.family} classes for type {cls.type!r}")
            known[cls.type] = cls

    def to_dict(self) -> dict:
        return {"type": self.type, **super().to_dict()}


@dataclass(frozen=True)
class PartShape(Shape):
    family: ClassVar[str] = "part"


@dataclass(frozen=True)
class DefectShape(Shape):
    family: ClassVar[str] = "defect"


@dataclass(frozen=True)
class RawShape:
    """A part or defect read where its class is not imported (inside Blender): values as read."""

    type: str
    values: dict

    def to_dict(self) -> dict:
        return {"type": self.type, **self.values}


def shape_from_dict(family: str, d: dict, raw: bool = False):
    cls = _SHAPES[family].get(d.get("type"))
    if cls is not None:
        return cls.from_dict(d)
    if raw:
        return RawShape(d["type"], {k: v for k, v in d.items() if k != "type"})
    raise ValueError(f"unknown {family} type {d.get('type')!r} (known: {', '.join(_SHAPES[family])})")


@dataclass(frozen=True)
class Defect(Record):
    """One defect instance of a frame: its id in the id pass, its COCO category, its shape."""

    id: int
    category: str
    shape: Shape
    part: int = 0  # the part it lies on: 0 the frame's part, k its k-th other part

    def to_dict(self) -> dict:
        return {"id": self.id, "category": self.category, **({"part": self.part} if self.part else {}),
                **self.shape.to_dict()}

    @classmethod
    def from_dict(cls, d: dict, raw: bool = False) -> "Defect":
        shape = {k: v for k, v in d.items() if k not in ("id", "category", "part")}
        return cls(d["id"], d["category"], shape_from_dict("defect", shape, raw), d.get("part", 0))


@dataclass(frozen=True)
class Placed(Record):
    """Another part of the frame, beside the first: its shape, moved by `offset` (x, y) and turned
    by `angle` about z."""

    part: Shape
    offset: tuple
    angle: float

    @classmethod
    def from_dict(cls, d: dict, raw: bool = False) -> "Placed":
        return cls(shape_from_dict("part", d["part"], raw), d["offset"], d["angle"])


@dataclass(frozen=True)
class Fixture(Record):
    """A fixture of the scene (tray, clamp, conveyor): built as geometry on the Python side."""

    kind: str
    center: tuple  # x, y, z of its reference point, mm
    size: tuple  # its extents (kind-specific), mm
    angle: float  # about z
    paint: tuple  # r, g, b, metallic, roughness


@dataclass(frozen=True)
class RenderSettings(Record):
    width: int
    height: int
    samples: int
    adaptive_threshold: float
    denoise: bool
    denoise_quality: str
    max_bounces: int
    view_transform: str
    seed: int  # Cycles' noise seed
    color_depth: int = optional(8)  # bits per channel of rgb.png (16 for hybrid renders, which divide two images)
    light_tree: bool = optional(True)  # Cycles' light tree (specs written before the preset had the key used it)


@dataclass(frozen=True)
class MeshSettings(Record):
    base_segments: int
    across_groove: float
    min_spacing: float


@dataclass(frozen=True)
class Camera(Record):
    location: tuple
    look_at: tuple
    up: tuple  # the image's up direction before roll
    focal_length: float
    sensor_width: float
    short_side: float  # the frame's shorter side / the sensor width
    azimuth: float
    fill: float
    exposure: float
    roll: float
    grayscale: bool
    f_stop: float  # 0: a pinhole (all sharp)
    focus_distance: float
    clip_start: float
    clip_end: float


@dataclass(frozen=True)
class Light(Record):
    type: str
    location: tuple
    look_at: tuple
    size: float
    power: float
    color: tuple
    size_y: float | None = optional()  # a bar light's other side
    camera_visible: bool = optional(True)  # ring and coaxial lights sit at the lens


@dataclass(frozen=True)
class Material(Record):
    base_color: tuple
    metallic: float
    roughness: float
    brushing: float
    brush_angle: float
    grain: float
    texture_offset: tuple
    grain_scale: float
    relief: float
    transmission: float
    ior: float


@dataclass(frozen=True)
class World(Record):
    strength: float
    rotation: float
    hdri: str = optional("")  # an environment image shipped with Blender; "": the studio gradient
    hdri_strength: float = optional(0.0)


@dataclass(frozen=True)
class Ground(Record):
    color: tuple
    roughness: float


@dataclass(frozen=True)
class Sensor(Record):
    """Camera sensor effects, applied to the rendered image on the Python side."""

    blur: float
    vignetting: float
    noise: float
    shot_noise: float
    jpeg_quality: int
    seed: int


@dataclass(frozen=True)
class FrameSpec(Record):
    schema_version: int
    scene: str
    frame_index: int
    root_seed: int
    seed: int
    render: RenderSettings = nested(RenderSettings)
    mesh: MeshSettings = nested(MeshSettings)
    part: Shape = None
    camera: Camera = nested(Camera)
    defects: tuple = nested(Defect, ())
    material: Material = nested(Material)
    lights: tuple = nested(Light, ())
    world: World = nested(World)
    ground: Ground = nested(Ground)
    sensor: Sensor = nested(Sensor)
    categories: dict = field(default_factory=dict)  # defect category name -> COCO category id
    others: tuple = optional((), of=Placed)  # more parts beside the first (their defects name them)
    fixtures: tuple = optional((), of=Fixture)

    @classmethod
    def from_dict(cls, d: dict, raw: bool = False) -> "FrameSpec":
        """raw: keep parts and defects of unimported classes as RawShape (Blender's side)."""
        version = d.get("schema_version")
        if version != SCHEMA_VERSION:
            raise ValueError(f"spec schema_version {version} is not supported (this code reads {SCHEMA_VERSION})")
        defects = tuple(Defect.from_dict(x, raw) for x in d["defects"])
        others = tuple(Placed.from_dict(x, raw) for x in d.get("others", ()))
        rest = Record.from_dict.__func__(cls, {k: v for k, v in d.items() if k not in ("part", "defects", "others")})
        return replace(rest, part=shape_from_dict("part", d["part"], raw), defects=defects, others=others)

    @classmethod
    def from_json(cls, text: str, raw: bool = False) -> "FrameSpec":
        return cls.from_dict(json.loads(text), raw)
