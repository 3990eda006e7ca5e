"""The lab page's size limit: sizes measured on the parts actually built, never predicted.

The page ships ``frames x points`` samples (a folded graph's numbers and step texts) and one
boundary grid a frame, gzip-compressed. Nothing here is a constant measured once on some
model: the sizes come from this run's own parts, in three steps.

1. Before any graph is built: the page around the data (``Budget.shell``) and the part
   that does not change from frame to frame (the data points, the history) are built and
   encoded, and each frame's grid is counted as its text (``4 * ceil(n**2 / 3)`` base64
   characters, about what gzip then base64 give back for the noisiest grid). If the page does
   not fit with 2 frames, nothing more is built (:meth:`Budget.refuse`).
2. The corners, which every page ships (the first and last frame, the first and last point:
   :func:`spread` always keeps them), are built and the page of just them encoded: its exact
   size; what the corner samples add to it, each on average, is what one more sample is taken
   to cost, and the largest corner grid encoded alone what one more frame's grid costs
   (:meth:`Budget.measured`). gzip finds more to share in a larger page, so this errs high: on
   micrograd's demo a corner sample adds about 6.7 KB, a sample of a page of 40 x 16 about
   2.7 KB. Frames, then points, are dropped evenly (points keeping those of largest loss,
   ``Budget.thin_points``) until the page these costs extrapolate to fits
   (:meth:`Budget.choose`), and only those are built.
3. The page is encoded; if it is still too large it is thinned (:meth:`Budget.thin`) and
   encoded again, without building anything more: ``max_bytes`` holds exactly.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NoReturn

#: Rounds of thinning after building before giving up.
ATTEMPTS = 8


def spread(n: int, k: int) -> list[int]:
    """At most ``k`` indices of ``range(n)``, evenly spread, first and last included."""
    if n <= k:
        return list(range(n))
    return sorted({round(i * (n - 1) / (k - 1)) for i in range(k)})


def evenly(items: list[int], k: int) -> list[int]:
    """At most ``k`` of ``items``, evenly spread, first and last included (:func:`spread`)."""
    return [items[i] for i in spread(len(items), k)]


def grid_text(n: int) -> int:
    """The characters of one frame's boundary grid: ``n * n`` bytes in base64."""
    return 4 * math.ceil(n * n / 3)


@dataclass
class Budget:
    """What the page may weigh (``max_bytes``) and what its parts were measured to weigh.

    ``shell`` is the page around the payload (HTML, style, scripts); ``parts`` the encoded
    size of each part of the payload that does not grow with frames and points (``"data"``:
    the data points, ``"steps"``: the history, ``"rest"``); ``grid`` one frame's grid as
    text; ``sample`` one more (frame, point) and ``frame`` one more frame's grid, measured
    (both 0 until :meth:`measured`). ``describe`` says in words what the data, the grid, the
    steps and the graph are, for the message of a page that cannot fit. ``notes`` say what
    was thinned. ``thin_points(points, k)`` keeps ``k`` of ``points`` (by default evenly
    spread, first and last kept, as :func:`spread`).
    """

    max_bytes: int
    shell: int
    parts: dict[str, int]
    grid: int
    describe: Callable[[str, int], str]
    corner: tuple[int, int] = (0, 0)
    corner_size: int = 0
    sample: float = 0.0
    frame: float = 0.0
    notes: list[str] = field(default_factory=list)
    thin_points: Callable[[list[int], int], list[int]] = evenly

    def before_building(self) -> None:
        """ValueError if the page cannot fit even before its graphs, with 2 frames' grids."""
        size = self.shell + sum(self.parts.values()) + 2 * self.grid
        if size > self.max_bytes:
            self.refuse(size, {**self.parts, "grid": 2 * self.grid}, about=True)

    def measured(self, corner: tuple[int, int], size: int, *, sample: int, grid: int) -> None:
        """Take the sizes of the corners' page: ``size`` with ``corner`` = (frames, points)
        built; ``sample`` what each of its samples adds, ``grid`` its largest grid alone."""
        self.corner, self.corner_size = corner, size
        self.sample, self.frame = float(sample), float(grid)

    def estimate(self, frames: int, points: int) -> int:
        """The page's size with ``frames`` and ``points``, from the measured corners."""
        cf, cp = self.corner
        more = (frames - cf) * self.frame + (frames * points - cf * cp) * self.sample
        return self.corner_size + math.ceil(more)

    def choose(self, frames: list[int], points: list[int]) -> tuple[list[int], list[int]]:
        """The frames, then the points, evenly thinned until the estimate fits."""
        full = self.estimate(len(frames), len(points))
        f = len(frames)
        while f > 2 and self.estimate(f, len(points)) > self.max_bytes:
            f = max(2, min(f - 1, int(f * self.max_bytes / self.estimate(f, len(points)))))
        if f < len(frames):
            frames = [frames[i] for i in spread(len(frames), f)]
            self.note(f"{len(frames)} frames", full, estimated=True)
        p = len(points)
        while p > 2 and self.estimate(len(frames), p) > self.max_bytes:
            p = max(2, min(p - 1, int(p * self.max_bytes / self.estimate(len(frames), p))))
        if p < len(points):
            points = self.thin_points(points, p)
            self.note(f"{len(points)} pickable points", full, estimated=True)
        return frames, points

    def thin(
        self, frames: Sequence[int], points: Sequence[int], size: int
    ) -> tuple[list[int], list[int]] | None:
        """Fewer frames (or, at 2 frames, fewer points) for a built page of ``size`` bytes
        over the limit; None when 2 x 2 is all that is left."""
        if len(frames) > 2:
            keep = max(2, int(len(frames) * self.max_bytes / size * 0.9))
            kept = [frames[i] for i in spread(len(frames), keep)]
            self.note(f"{len(kept)} frames", size)
            return kept, list(points)
        if len(points) > 2:
            keep = max(2, int(len(points) * self.max_bytes / size * 0.9))
            kept = self.thin_points(list(points), keep)
            self.note(f"{len(kept)} pickable points", size)
            return list(frames), kept
        return None

    def note(self, what: str, size: int, *, estimated: bool = False) -> None:
        about = "estimated at" if estimated else "it was"
        self.notes.append(
            f"thinned to {what} to keep the page under {self.max_bytes:,} bytes ({about} {size:,})"
        )

    def refuse(self, size: int, parts: dict[str, int], *, about: bool = False) -> NoReturn:
        """ValueError: the page needs ``size`` bytes even at its smallest; the largest of
        ``parts`` is named, with what to do."""
        part = max((p for p in parts if p != "rest"), key=parts.__getitem__)
        needs = f"would need about {size:,}" if about else f"needs {size:,}"
        raise ValueError(
            f"Lab: the page {needs} bytes even with 2 frames and 2 points, more than "
            f"max_bytes={self.max_bytes:,}; " + self.describe(part, parts[part])
        )
