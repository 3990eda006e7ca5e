"""Drawing: pictures of computation graphs, backprop step by step, and the pages that show them.

One way to get a picture: :func:`draw_graph` returns a :class:`GraphDrawing`, which shows
itself inline in Jupyter, gives its SVG (``.svg()``) and writes it (``.save(path)``).

>>> from autograd import Value
>>> from autograd.viz import draw_graph
>>> x = Value(2.0, label="x")
>>> (x * x).backward()
>>> drawing = draw_graph(x * x)     # doctest: +SKIP
>>> drawing.save("square.svg")      # doctest: +SKIP

:func:`backward_frames` yields one drawing per step of backprop; :func:`backward_player`
plays them in a self-contained page (:class:`BackwardPlayer`). Every failure to draw is a
:class:`RenderError`; :class:`GraphTooLargeError` (also a ``ValueError``) and
:class:`GraphvizUnavailableError` (nothing installed to render with) are kinds of it that a
caller may want to tell apart, and a render stopped at its time limit is also a
``TimeoutError``.

For code that draws its own pictures (``nn.lab``): :func:`graph_label`, :func:`grad_colour`
and :func:`grad_scale` escape and colour as :func:`draw_graph` does; ``BACKENDS``,
``DEFAULT_MAX_EDGES`` and ``DEFAULT_TIMEOUT`` are its choices and limits. The page base
(payload, decoder, escaping, writing) is reached through :mod:`autograd.extend`.
"""

from autograd.viz.backends import BACKENDS, DEFAULT_TIMEOUT
from autograd.viz.errors import GraphTooLargeError, GraphvizUnavailableError, RenderError
from autograd.viz.frames import backward_frames
from autograd.viz.graph import DEFAULT_MAX_EDGES, DEFAULT_MAX_NODES, GraphDrawing, draw_graph
from autograd.viz.player import BackwardPlayer, backward_player
from autograd.viz.style import grad_colour, grad_scale, graph_label

__all__ = [
    "BACKENDS",
    "DEFAULT_MAX_EDGES",
    "DEFAULT_MAX_NODES",
    "DEFAULT_TIMEOUT",
    "BackwardPlayer",
    "GraphDrawing",
    "GraphTooLargeError",
    "GraphvizUnavailableError",
    "RenderError",
    "backward_frames",
    "backward_player",
    "draw_graph",
    "grad_colour",
    "grad_scale",
    "graph_label",
]
