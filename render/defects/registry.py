"""Every defect type, each from its own module of render/defects."""

from render.defects.base import DefectType
from render.plugins import find_types

DEFECT_TYPES: dict[str, type[DefectType]] = find_types("render.defects", DefectType)  # in draw order
