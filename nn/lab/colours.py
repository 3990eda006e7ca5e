"""The lab's colours: the classes' (points and decision regions) and the boundary grid's palette.

Every colour of the page is chosen here, in Python (the gradient fills are autograd's, see
:func:`nn.lab.drawing.node_colours`); the page's script only looks them up.
"""

from __future__ import annotations

import colorsys

from autograd.viz import grad_colour

# Up to 5 classes (points dark, regions light): never red or blue, which the graph's boxes use
# for the gradient's sign; purple and green first (told apart with any colour vision).
_POINT_RGB = [(118, 42, 131), (27, 120, 55), (184, 134, 11), (64, 64, 64), (197, 27, 125)]
_AREA_RGB = [(194, 165, 207), (166, 219, 160), (230, 200, 90), (190, 190, 190), (241, 182, 218)]


def class_colours(k: int) -> tuple[list[tuple[int, int, int]], list[tuple[int, int, int]]]:
    """``k`` distinct colours for the classes: (points' colours, decision regions' colours).

    Up to 5 classes: purple, green, gold, grey, magenta; never red or blue, the colours of
    the gradient's sign in the graph below the boundary. More: ``k`` hues evenly spaced around
    the colour wheel.
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
    127.5 + 127.5 tanh(score), class 0's colour (negative) to class 1's (positive), paler near 0.
    """
    if multiclass:
        return [_mix(c, 0.45) for c in area]
    out = []
    for v in range(256):
        t = (v - 127.5) / 127.5
        out.append(_mix(area[1] if t > 0 else area[0], 0.15 + 0.5 * abs(t)))
    return out


def key(
    points: list[tuple[int, int, int]], areas: list[tuple[int, int, int]], plane: bool
) -> list[list[str]]:
    """The page's key, ``[css colour, text, kind]`` each: every class's colour (``kind``
    "point"; its region's too with a plane), then the graph's fills for the gradient's sign
    (``kind`` "fill": autograd's colours at full strength)."""
    items = []
    for c, (point, area) in enumerate(zip(points, areas)):
        items.append([hex_colour(point), f"class {c}", "point"])
        if plane:
            items.append([hex_colour(area), f"predicted {c}", "fill"])
    items.append([grad_colour(1.0, 1.0), "box: grad > 0", "fill"])
    items.append([grad_colour(-1.0, 1.0), "box: grad < 0", "fill"])
    items.append(["white", "box: grad 0", "fill"])
    return items
