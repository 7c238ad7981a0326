"""What every part type is: a frozen record of its sampled values (the frame spec's `part`) with
the geometry of its defect surface.

Each part has one defect-carrying surface, parametrised by (u, v) in millimetres of surface
length, so defects are laid out in a flat 2D domain [0, U] x [0, V] and displaced along the
surface normal. cross(dP/du, dP/dv) points out of the material, so a counter-clockwise (u, v)
triangle faces outwards. The part stands on z = 0, centred on the z axis.
"""

import abc
import math
from typing import ClassVar

import numpy as np
from pydantic import Field

from render.ranges import Strict
from render.spec import MeshSettings, PartShape


class PartRecipe(Strict):
    weight: float = Field(1.0, gt=0)


class Part(PartShape, abc.ABC):
    Recipe: ClassVar[type[PartRecipe]]
    # a recipe's enabled parts are drawn from in this order; a new type takes the next number
    draw_order: ClassVar[int]
    faces_up: ClassVar[bool] = True  # the defect surface faces up (False: sideways, a cylinder's)
    periodic_u: ClassVar[bool] = False  # u runs around the part: u = 0 and u = U are one seam
    brush_angle: ClassVar[float | None] = 0.0  # of the machining marks in (u, v); None: drawn per frame

    # ---- sampling ----------------------------------------------------------------------
    @classmethod
    @abc.abstractmethod
    def sample(cls, rng: np.random.Generator, r: PartRecipe) -> "Part":
        ...

    @classmethod
    def check_recipe(cls, r: PartRecipe) -> None:
        """Problems of the recipe entry that its model cannot see (a mesh file), as UserError."""

    def close_up_target(self, rng, target: np.ndarray, spread: float) -> np.ndarray:
        """Where a close-up looks (`spread` 0: the centre; 1: anywhere on the defect surface)."""
        target = target.copy()
        if self.faces_up:
            target[:2] += (rng.uniform(-0.5, 0.5, 2) * self.look_span()) * spread
            target[2] = self.top_height()
        else:
            target[2] += rng.uniform(-0.5, 0.5) * self.surface_extent()[1] * spread
        return target

    def facing(self, azimuth: float, target: np.ndarray) -> "Part":
        """The part as this view places it (a new value): a turned part's seam faces away."""
        return self

    def anchored(self, rng, location: np.ndarray, target: np.ndarray, half_angle: float):
        """(part, look-at point) once the camera stands at `location`: a part whose defect
        surface depends on the view (a user's mesh) picks it here."""
        return self, target

    def focus_distance(self, location: np.ndarray, look_at: np.ndarray, n: int = 64) -> float:
        """Distance along the line of sight to the defect surface where the camera looks (the
        look-at point itself can lie inside the part, e.g. on a cylinder's axis): the surface
        point turned to the camera that lies nearest the line of sight."""
        forward = (look_at - location) / np.linalg.norm(look_at - location)
        uv = self.surface_grid(n)
        ray = self.surface_points(uv) - location
        along = ray @ forward
        facing = np.einsum("ij,ij->i", self.surface_normals(uv), ray) < 0
        off_axis = np.linalg.norm(ray - along[:, None] * forward, axis=1)
        if not facing.any():
            return float((look_at - location) @ forward)
        return float(along[facing][np.argmin(off_axis[facing])])

    # ---- extent ------------------------------------------------------------------------
    @abc.abstractmethod
    def surface_extent(self) -> tuple[float, float]:
        """(U, V): the (u, v) domain of the defect surface, mm."""

    @abc.abstractmethod
    def bounding_radius(self) -> float:
        """Radius of the sphere around part_center() that holds the part."""

    @abc.abstractmethod
    def top_height(self) -> float:
        """Height of the highest point of the part."""

    def footprint_radius(self) -> float:
        """Radius about the z axis that holds the defect surface's outline on the table (parts
        placed side by side keep this far apart)."""
        U, V = self.surface_extent()
        t = np.linspace(0, 1, 17)
        uv = np.stack(np.meshgrid(t * U, t * V, indexing="ij"), -1).reshape(-1, 2)
        return float(np.linalg.norm(self.surface_points(uv)[:, :2], axis=1).max())

    def part_center(self) -> np.ndarray:
        return np.array([0.0, 0.0, self.top_height() / 2])

    def look_span(self) -> tuple[float, float]:
        """x, y extent over which a close-up may move its look-at point (parts facing up)."""
        return self.surface_extent()

    # ---- surface -----------------------------------------------------------------------
    @abc.abstractmethod
    def surface_points(self, uv: np.ndarray, height: np.ndarray | float = 0.0) -> np.ndarray:
        """3D points of the surface at (u, v), moved `height` mm along the outward normal."""

    @abc.abstractmethod
    def surface_normals(self, uv: np.ndarray) -> np.ndarray:
        """Unit outward normals of the undisplaced surface at (u, v)."""

    @abc.abstractmethod
    def surface_valid(self, uv: np.ndarray) -> np.ndarray:
        """Which (u, v) points may carry defects."""

    def has_holes(self) -> bool:
        """Whether the surface has holes in it that a defect drawn in the seen region may miss."""
        return False

    def surface_grid(self, n: int) -> np.ndarray:
        """(n * n, 2) cell centres of an n x n grid over the surface domain."""
        U, V = self.surface_extent()
        t = (np.arange(n) + 0.5) / n
        return np.stack(np.meshgrid(t * U, t * V, indexing="ij"), -1).reshape(-1, 2)

    # ---- edges (chips, burrs, collisions at an edge) ------------------------------------
    @abc.abstractmethod
    def edge_anchor(self, rng, lo: np.ndarray, hi: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
        """A point on an edge of the surface near the seen region [lo, hi], the inward normal
        there, and whether the edge is a machined groove's rim."""

    def groove_lines(self) -> list[tuple[int, float, float]]:
        """Machined grooves: (k, position, width) each (see render.parts.machining)."""
        return []

    def groove_offset(self, along) -> np.ndarray:
        """How far a groove's centre line has climbed at `along` (0 but on a helical thread)."""
        return 0.0 * np.asarray(along)

    # ---- mesh --------------------------------------------------------------------------
    @abc.abstractmethod
    def build_mesh(self, defects, settings: MeshSettings):
        """The part's render.meshing.PartMesh with the defects displaced and labelled."""


def seam_opposite(azimuth: float, target: np.ndarray) -> float:
    """Seam angle of a part turned about z so its seam lies opposite the spot the camera looks at
    (or opposite the camera when it looks at the axis), so the seen arc never crosses it."""
    if np.hypot(*target[:2]) > 1e-6:
        return math.atan2(target[1], target[0]) + math.pi
    return azimuth + math.pi
