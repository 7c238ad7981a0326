"""Bent lead or damaged pin: one lead (a header's pin, a package's gull-wing lead, a capacitor's
wire) turned about its root; the lead is the mask."""

import math
from dataclasses import dataclass

import numpy as np

from render.defects.base import DefectRecipe
from render.defects.items import ItemDefect, drop, mark
from render.parts.pieces import rotate_about
from render.ranges import Range, uniform


class BentLeadRecipe(DefectRecipe):
    """A lead or pin bent away from where it belongs."""

    category: str = "bent_lead"
    angle: Range(1, 150) = (20, 60)  # degrees
    kinds: list[str] | None = None  # the items it may bend (e.g. [header]); None: any with leads


@dataclass(frozen=True)
class BentLead(ItemDefect):
    type = "bent_lead"
    Recipe = BentLeadRecipe
    draw_order = 14

    lead: int
    axis: tuple  # in the part's frame, through the lead's root
    angle: float  # radians

    @classmethod
    def suits(cls, it, r) -> bool:
        return len(it.leads) > 0 and (r.kinds is None or it.kind in r.kinds)

    @classmethod
    def sample(cls, rng, r: BentLeadRecipe, lo, hi, part) -> "BentLead":
        k = cls.pick(rng, part, lo, hi, r)
        item = part.layout[k]
        j = int(rng.integers(len(item.leads)))
        x0, y0, x1, y1 = item.leads[j]
        if (x0, y0) == (x1, y1):  # an upright pin: over, in any direction
            a = rng.uniform(0, 2 * math.pi)
            axis = [-math.sin(a), math.cos(a), 0.0]
        else:  # a lead along the board (or the table): its foot lifts, or it swings aside
            d = np.array([x1 - x0, y1 - y0]) / math.hypot(x1 - x0, y1 - y0)
            c, s = math.cos(item.angle), math.sin(item.angle)
            d = np.array([c * d[0] - s * d[1], s * d[0] + c * d[1], 0.0])
            axis = np.cross(d, [0.0, 0.0, 1.0]) if rng.random() < 0.7 else np.array([0.0, 0.0, rng.choice([-1, 1])])
        foot = item.to_board([(x1, y1)])[0]
        return cls(item=k, center=tuple(foot.tolist()), reach=3.0, lead=j, axis=tuple(map(float, axis)),
                   angle=math.radians(uniform(rng, r.angle)))

    def modify(self, built, defect_id: int) -> None:
        leads = built.get("leads")
        lead = leads[self.lead]
        leads[self.lead] = mark([lead.moved(rotate_about(lead.anchor, self.axis, self.angle))], defect_id)[0]
        drop(built.get("fillets"), self.lead)  # a bent lead leaves its joint
