"""Bulged vent: a capacitor's top domed outwards by the gas inside; the top is the mask."""

from dataclasses import dataclass

import numpy as np

from render.defects.base import DefectRecipe
from render.defects.items import ItemDefect, mark
from render.ranges import Range, uniform


class BulgeRecipe(DefectRecipe):
    """A capacitor's top bulging."""

    category: str = "bulge"
    height: Range(0.01, 1) = (0.1, 0.3)  # of the top's radius


@dataclass(frozen=True)
class Bulge(ItemDefect):
    type = "bulge"
    Recipe = BulgeRecipe
    draw_order = 22

    height: float  # fraction of the top's radius

    @classmethod
    def suits(cls, it, r) -> bool:
        return it.kind == "top"

    @classmethod
    def sample(cls, rng, r: BulgeRecipe, lo, hi, part) -> "Bulge":
        k = cls.pick(rng, part, lo, hi, r)
        item = part.layout[k]
        return cls(item=k, center=tuple(item.center), reach=float(item.size[0]), height=uniform(rng, r.height))

    def modify(self, built, defect_id: int) -> None:
        axis, c, R = built.meta["axis"], built.meta["center"], built.meta["radius"]

        def dome(v):
            rel = v - c
            r2 = ((rel - np.outer(rel @ axis, axis)) ** 2).sum(1) / R**2
            return v + np.outer(self.height * R * np.clip(1 - r2, 0, 1), axis)

        built.roles["top"] = mark([p.moved(dome) for p in built.get("top")], defect_id)
