"""What every defect type is: its recipe entry, its sampler and its shape over a part's surface.

A defect type is a frozen record (its values in the frame spec) with:
- Recipe: the pydantic model of its recipe entry (`category`, `weight` and its own ranges);
- sample(rng, recipe, lo, hi, part): a new shape inside the seen region [lo, hi] of (u, v);
- displacement(uv): displacement along the outward normal (negative = into the material), mm;
- footprint(uv): where it visibly changes the surface (its instance mask on the mesh);
- refinement(across): (skeleton points, core radius, mesh spacing) that the mesher must resolve;
- bbox(): (lo, hi) corners in (u, v) outside which it has no effect;
- size_keys, aspect_key: its recipe keys that set its extent and its elongation (scaled by `fit`).
An optional `darken` field (0..1) darkens and roughens the material on the footprint: the dark
interior of cracks and pits, and the whole look of texture-only defects (stains).
"""

import abc
from typing import ClassVar

import numpy as np
from pydantic import Field

from render.ranges import Strict
from render.spec import DefectShape

FOOTPRINT_FRACTION = 0.1  # a flank shallower than this fraction of the defect's depth is not annotated


class DefectRecipe(Strict):
    category: str
    weight: float = Field(1.0, gt=0)


class DefectType(DefectShape, abc.ABC):
    Recipe: ClassVar[type[DefectRecipe]]
    # a recipe's enabled types are drawn from in this order; a new type takes the next number,
    # so that no recipe's dataset changes when a type is added
    draw_order: ClassVar[int]
    # the recipe keys that set its extent across the surface (fit scales them to match mask areas)
    size_keys: ClassVar[tuple[str, ...]] = ()
    # the recipe key that sets its long / short axis (fit scales it to match mask aspects), if any
    aspect_key: ClassVar[str | None] = None
    # a look lying over whatever is on the surface: an assembly's flat pieces (pads, traces) take it too
    overlays: ClassVar[bool] = False
    # may sit on an edge of the part, its shape reaching through it (a chip): placed on an edge
    on_edge: ClassVar[bool] = False

    @classmethod
    @abc.abstractmethod
    def sample(cls, rng: np.random.Generator, r: DefectRecipe, lo: np.ndarray, hi: np.ndarray, part):
        ...

    @classmethod
    def applies_to(cls, part, r: DefectRecipe) -> bool:
        """Whether it can go on this part (a recipe may mix parts: a bent lead needs leads)."""
        return True

    @abc.abstractmethod
    def displacement(self, uv: np.ndarray) -> np.ndarray:
        ...

    @abc.abstractmethod
    def footprint(self, uv: np.ndarray) -> np.ndarray:
        ...

    @abc.abstractmethod
    def refinement(self, across: float):
        ...

    @abc.abstractmethod
    def bbox(self) -> tuple[np.ndarray, np.ndarray]:
        ...

    @property
    def darkening(self) -> float:
        return getattr(self, "darken", 0.0)

    def face_look(self, uv: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
        """The material on the footprint, per point: darken, tint (linear RGB + weight) or None,
        mottle (amount, features per mm of the shader's patch noise) or None. A plain defect
        darkens evenly and keeps the surface's colour."""
        return np.full(len(uv), self.darkening), None, None
