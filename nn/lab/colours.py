"""The lab's colours: the classes' (points and decision regions) and the boundary grid's palette.

Every colour of the page is chosen here, in Python (the gradient fills are autograd's, see
:func:`nn.lab.drawing.node_colours`); the page's script only looks them up.
"""

from __future__ import annotations

import colorsys

# Today's colours for up to 5 classes (points dark, regions light); more: a ramp of hues.
_POINT_RGB = [(33, 102, 172), (178, 24, 43), (27, 120, 55), (118, 42, 131), (184, 134, 11)]
_AREA_RGB = [(103, 169, 207), (239, 138, 98), (120, 190, 120), (200, 160, 220), (230, 200, 90)]


def class_colours(k: int) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    """``k`` distinct colours for the classes: (points' colours, decision regions' colours).

    Up to 5 classes: blue, red, green, purple, gold (2 classes: blue and red, as autograd's
    negative and positive). More: ``k`` hues evenly spaced around the colour wheel from blue.
    """
    if k <= len(_POINT_RGB):
        return _POINT_RGB[:k], _AREA_RGB[:k]

    def ramp(lightness: float, saturation: float) -> list[tuple[int, int, int]]:
        out = []
        for i in range(k):
            r, g, b = colorsys.hls_to_rgb((0.58 + i / k) % 1.0, lightness, saturation)
            out.append((round(255 * r), round(255 * g), round(255 * b)))
        return out

    return ramp(0.35, 0.7), ramp(0.72, 0.6)


def hex_colour(rgb: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def _mix(rgb: tuple[int, int, int], strength: float) -> list[int]:
    """``rgb`` mixed with white: 0 white, 1 the colour itself."""
    return [round(255 + (c - 255) * strength) for c in rgb]


def grid_palette(multiclass: bool, area: list[tuple[int, int, int]]) -> list[list[int]]:
    """The colour of each byte value of the boundary grid, as [r, g, b]: the page only looks up.

    Multiclass: byte = predicted class, its region's colour, light. One output: byte =
    127.5 + 127.5 tanh(score), blue (negative, class 0) to red (positive, class 1), paler near 0.
    """
    if multiclass:
        return [_mix(c, 0.45) for c in area]
    out = []
    for v in range(256):
        t = (v - 127.5) / 127.5
        out.append(_mix(area[1] if t > 0 else area[0], 0.15 + 0.5 * abs(t)))
    return out
