"""Spec records from the plain dicts that tests write (as they read in spec.json)."""

from render.defects.registry import DEFECT_TYPES  # noqa: F401 - registers the defect types
from render.parts.registry import PART_TYPES  # noqa: F401 - registers the part types
from render.spec import Defect, MeshSettings, shape_from_dict


def part_of(d: dict):
    return shape_from_dict("part", d)


def shape_of(d: dict):
    return shape_from_dict("defect", {k: v for k, v in d.items() if k not in ("id", "category")})


def defect_of(d: dict) -> Defect:
    return Defect(d["id"], d["category"], shape_of(d))


def build_mesh(part: dict, defects: list[dict], **settings):
    return part_of(part).build_mesh([defect_of(d) for d in defects], MeshSettings(**settings))
