"""MLCC: a ceramic SMD capacitor (a chip) lying on the table: a ceramic body whose top is the
defect surface (as a plate's), with tinned terminations capping both ends."""

from dataclasses import dataclass
from typing import Literal

from pydantic import Field

from render.parts.base import PartRecipe
from render.parts.pieces import Piece, box, with_pieces
from render.parts.plate import Plate
from render.ranges import Range, uniform

CERAMICS = {"tan": (0.45, 0.3, 0.16, 0.0, 0.55), "brown": (0.25, 0.14, 0.07, 0.0, 0.5),
            "grey": (0.3, 0.28, 0.25, 0.0, 0.5)}
TERMINATION = (0.72, 0.72, 0.74, 1.0, 0.3)


class MlccRecipe(PartRecipe):
    """Ceramic chip capacitor; defects go on its top."""

    width: Range(0.2, 50) = (2, 6)  # mm, its length between the terminations
    length: Range(0.1, 50) = (1.2, 5)  # mm, across
    thickness: Range(0.1, 20) = (0.8, 2.5)  # mm
    termination: Range(0.05, 0.45) = (0.15, 0.25)  # each end's share of its length
    ceramics: list[Literal[tuple(CERAMICS)]] = Field(default=list(CERAMICS), min_length=1)


@dataclass(frozen=True)
class Mlcc(Plate):
    type = "mlcc"
    Recipe = MlccRecipe
    draw_order = 8
    brush_angle = 0.0

    termination: float = 0.2
    ceramic: tuple = ()

    @classmethod
    def sample(cls, rng, r: MlccRecipe) -> "Mlcc":
        return cls(width=uniform(rng, r.width), length=uniform(rng, r.length), thickness=uniform(rng, r.thickness),
                   termination=uniform(rng, r.termination), ceramic=CERAMICS[str(rng.choice(r.ceramics))])

    def build_mesh(self, defects, settings):
        mesh = super().build_mesh(defects, settings)
        t = self.termination * self.width
        caps = []
        for s in (-1, 1):  # a little larger than the body, so that they cap it
            v, f = box((t + 0.02, self.length + 0.04, self.thickness + 0.02))
            caps.append(Piece(v + [s * (self.width / 2 - t / 2 + 0.01), 0.0, 0.0], f, paint=TERMINATION))
        return with_pieces(mesh, caps, surface_paint=self.ceramic, body_paint=self.ceramic)
