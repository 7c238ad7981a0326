"""Every part type, each from its own module of render/parts."""

from render.parts.base import Part
from render.plugins import find_types

PART_TYPES: dict[str, type[Part]] = find_types("render.parts", Part)  # in draw order
