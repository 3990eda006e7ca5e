"""What drawing can raise: :class:`RenderError`, and the three kinds of it a caller may tell apart.

``except RenderError`` catches every failure to draw. The subclasses say why, and each is also
the built-in exception of its kind, so code that knows nothing of drawing still reads them
right: a graph too large is a ``ValueError`` (the input is wrong), a render stopped at its time
limit a ``TimeoutError``.
"""


class RenderError(RuntimeError):
    """A graph could not be drawn: Graphviz failed, produced SVG that is not well-formed, is
    not installed, ran out of time, or the graph is too large to lay out."""


class GraphTooLargeError(RenderError, ValueError):
    """The graph has more nodes than ``max_nodes`` or more edges than ``max_edges`` allow."""


class GraphvizUnavailableError(RenderError):
    """No Graphviz renderer (or not the one asked for) is installed."""


class RenderTimeoutError(RenderError, TimeoutError):
    """A render took longer than its ``timeout`` and was stopped."""
