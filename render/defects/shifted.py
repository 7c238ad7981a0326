"""Shifted (misplaced) component: moved and turned off its pads; the component is the mask."""

import math
from dataclasses import dataclass

from render.defects.base import DefectRecipe
from render.defects.items import ItemDefect, mark
from render.defects.missing import COMPONENTS
from render.parts.pieces import rotate_about
from render.ranges import Range, uniform


class ShiftedRecipe(DefectRecipe):
    """A component placed off its pads."""

    category: str = "shifted"
    offset: Range(0, 2) = (0.25, 0.6)  # fraction of the body's width
    turn: Range(0, 90) = (0, 15)  # degrees


@dataclass(frozen=True)
class Shifted(ItemDefect):
    type = "shifted"
    Recipe = ShiftedRecipe
    draw_order = 11

    offset: tuple  # (x, y) mm in the part's frame
    turn: float  # radians about z

    @classmethod
    def suits(cls, it, r) -> bool:
        return it.kind in COMPONENTS

    @classmethod
    def sample(cls, rng, r: ShiftedRecipe, lo, hi, part) -> "Shifted":
        k = cls.pick(rng, part, lo, hi, r)
        item = part.layout[k]
        a = rng.uniform(0, 2 * math.pi)
        dist = uniform(rng, r.offset) * min(item.size[:2])
        turn = math.radians(uniform(rng, r.turn)) * rng.choice([-1.0, 1.0])
        return cls(item=k, center=tuple(item.center), reach=float(item.extent().max() + dist),
                   offset=(dist * math.cos(a), dist * math.sin(a)), turn=float(turn))

    def modify(self, built, defect_id: int) -> None:
        c = built.meta["center"]
        turn = rotate_about(c, [0.0, 0.0, 1.0], self.turn)
        move = lambda v: turn(v) + [self.offset[0], self.offset[1], 0.0]  # noqa: E731
        built.roles.pop("fillets", None)  # a part off its pads has no proper joints
        for role in ("body", "leads", "marks"):
            built.roles[role] = mark([p.moved(move) for p in built.get(role)], defect_id)
