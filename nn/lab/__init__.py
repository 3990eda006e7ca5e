"""The lab: one self-contained HTML page of a real training run, to replay and backprop by hand.

    rec = nn.LabRecorder(model)                  # before training: records the parameters
    history = nn.fit(model, X, y, ..., callbacks=[rec])
    lab = nn.Lab(model, X, y, history, rec, loss="hinge")   # loss: required, as trained
    lab.write("lab.html")                        # or, in Jupyter, just `lab`

The page replays the run (play / pause / "train step" / scrub) over the models before each
step and, last, the trained model: the loss curves (log scale) and the decision boundary (axes
named by ``feature_names``) move with it. Clicking a data point shows that sample's computation
graph, one node per neuron, at the current step (inputs of other than 2 features have no plane
to draw a boundary on: the page shows :func:`nn.metrics.boundary_note` in its place, and a
button per pickable point); "backward step" walks backward node by node with the chain rule's
arithmetic of each step written out, "undo backward" goes back to the forward pass, and the
graph zooms (fit to the width, in, out). Every number on the page was computed here, by the
engine: the page's JavaScript only displays: ``draw.js`` (the drawing, shared with the live
lab) and ``lab.js`` (the replay), plain files of this package joined by :mod:`nn.lab.assets`.

Why here, in ``nn``: the page needs a model, a loss and a training run, which ``autograd``
knows nothing of (``autograd`` never imports ``nn``); it uses ``autograd`` only to build
graphs and to lay them out with Graphviz (either backend), once per distinct graph.

The pickable points include those of the largest loss under the trained model (after
training most points are past the hinge's margin, loss 0, and nothing flows back through
their graphs); the page opens on the one of largest loss, and says why when the picked point
passes no gradient (:mod:`nn.lab.points`). The loss operations' constants (``c`` in
``t0 = c * L3.n0``) show their values in their boxes, a neuron's box shows its weighted sum
``z`` and ``z.grad``, and the arithmetic names only what the page shows.

Size, and the work of building it. A frame is one recorded model: its decision boundary
(``grid**2`` cells) and, for every pickable point, the folded graph's numbers (as text) and
the text of every backward step, one line per parameter and per path between neurons. The
page holds at most ``max_frames`` frames (spread over the run, first and last kept) and
``max_points`` pickable points; the data is gzip-compressed (the browser inflates it with
``DecompressionStream``), with the texts grouped by step so that gzip finds their likeness
(micrograd's 2-16-16-1 demo of ``make demo``, 40 frames x 16 points: about 1.9 MB). The size
is measured on the parts built, never predicted from constants (:mod:`nn.lab.budget`): frames
(then points) are dropped evenly until the page fits ``max_bytes``, and the page says so; only
what the page ships is built, so time and memory grow with ``max_bytes``, not with
``max_frames * max_points``. :class:`ValueError` if even 2 x 2 do not fit, or if the model has
more than ``max_parameters`` parameters (checked at once); the graph's layout keeps
autograd's limits (``max_edges``, a 30 s timeout), so a model of more than 800 edges between
neurons is refused (:class:`autograd.viz.GraphTooLargeError`, a ``ValueError``).

Every number on the page is formatted here (4 significant digits, or ``repr`` for the exact
value on hover), every colour chosen here: fills are autograd's gradient colours
(:func:`autograd.viz.grad_colour`) on the scale of the whole graph, classes get
:func:`class_colours` (any number of them).

The modules, one concern each: :mod:`~nn.lab.recorder` (recording a run), :mod:`~nn.lab.page`
(the page, :class:`Lab`), :mod:`~nn.lab.budget` (the size limit), :mod:`~nn.lab.colours`,
:mod:`~nn.lab.content` (the page's data as text), :mod:`~nn.lab.axes` (the charts' ticks),
:mod:`~nn.lab.assets` (the scripts and styles), :mod:`~nn.lab.points` (the pickable points),
:mod:`~nn.lab.plane` (the model over the input plane: the boundary's grid, the neurons'
heat maps), :mod:`~nn.lab.graph` (one sample's folded graph and its backward steps) and
:mod:`~nn.lab.drawing` (its pictures, :func:`draw_sample`).

The live lab, :class:`nn.LiveLab` (an anywidget in a notebook: the kernel trains, the page
draws), shares the data of :mod:`~nn.lab.content`, :mod:`~nn.lab.graph` and
:mod:`~nn.lab.plane` and the drawing script ``draw.js`` (with ``draw.css``) with this page:
:mod:`~nn.lab.live` (the widget), :mod:`~nn.lab.live_session` (the training state and its
controls) and :mod:`~nn.lab.live_frames` (what a frame holds).
"""

from nn.lab.budget import spread
from nn.lab.colours import class_colours
from nn.lab.drawing import draw_sample, hardest_sample
from nn.lab.graph import sample_graph
from nn.lab.page import DEFAULT_MAX_BYTES, DEFAULT_MAX_PARAMETERS, Lab
from nn.lab.recorder import LabRecorder

__all__ = [
    "DEFAULT_MAX_BYTES",
    "DEFAULT_MAX_PARAMETERS",
    "Lab",
    "LabRecorder",
    "class_colours",
    "draw_sample",
    "hardest_sample",
    "sample_graph",
    "spread",
]
