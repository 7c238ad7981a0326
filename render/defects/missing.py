"""Missing component: the component is not there; its bare pads and the board where it sat are
the mask."""

from dataclasses import dataclass

import numpy as np

from render.defects.base import DefectRecipe
from render.defects.items import ItemDefect, mark, rect_footprint, rect_outline

COMPONENTS = ("chip", "sot", "soic", "qfp", "header", "connector", "shield", "housing", "can")


class MissingRecipe(DefectRecipe):
    """A component left out: bare pads where it belongs."""

    category: str = "missing"


@dataclass(frozen=True)
class Missing(ItemDefect):
    type = "missing"
    Recipe = MissingRecipe
    draw_order = 10

    half: tuple  # half extents (u, v) of the component's land: body and pads

    @classmethod
    def suits(cls, it, r) -> bool:
        return it.kind in COMPONENTS

    @classmethod
    def sample(cls, rng, r: MissingRecipe, lo, hi, part) -> "Missing":
        k = cls.pick(rng, part, lo, hi, r)
        item = part.layout[k]
        half = item.extent()
        return cls(item=k, center=tuple(item.center), reach=float(half.max()), half=tuple(half.tolist()))

    def footprint(self, uv: np.ndarray) -> np.ndarray:
        return rect_footprint(self.center, self.half, uv)

    def refinement(self, across: float):
        step = max(0.03, min(self.half) / 8)
        return rect_outline(self.center, self.half, step), step, step

    def modify(self, built, defect_id: int) -> None:
        for role in ("body", "leads", "fillets", "marks"):
            built.roles.pop(role, None)
        mark(built.get("pads"), defect_id)
