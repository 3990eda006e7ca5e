"""The live lab: :class:`nn.LiveLab`, a notebook widget (anywidget); the kernel trains, computes.

    lab = nn.LiveLab()          # a 2-16-16-1 MLP on moons (or LiveLab(model, X, y))
    lab                         # in a notebook: the widget
    lab.play(); lab.pause()     # training in a thread: the kernel stays free
    lab.lr = 0.05; lab.train(10); lab.pick(3); lab.set_weight("L1.n0.w1", 0.5)

Needs ``anywidget`` (``pip install 'valuegrad[lab]'``); ``import nn`` does not. The page is one
ES module (``draw.js`` + ``live.js``, no build step) that only draws: every number is the
engine's, formatted here (:mod:`nn.lab.live_frames`); the training is
:class:`nn.lab.live_session.LiveSession`'s.

**The protocol.** The kernel's state is in synced traits (JSON), every number in them as
text formatted here (the floats only place things: points, curves, ticks):

* ``setup``: what changes only with the data or the model
  (:func:`~nn.lab.live_frames.setup_data`): ``X``, ``y``, ``Xval``, ``yval``, ``Xtext``,
  ``Xfmt``, ``features``, ``pickable``, ``colours``, ``grid`` (``n``, ``bounds``,
  ``multiclass``, ``palette``; None unless the inputs are 2-D, ``boundary_note`` says why),
  ``axes``, ``key``, ``levels`` (the heat maps' palette), ``network`` (``layers``: the
  neurons' names by layer, inputs first; ``edges``: ``[from, to, weight name]``), ``run``,
  ``options`` (the choices of the ``optimizer``, ``activation`` and ``dataset`` controls);
* ``controls``: each control's value as text, by its ``data-control`` name (``lr``,
  ``optimizer``, ``batch-size``, ``momentum``, ``activation``, ``hidden``, ``dataset``,
  ``noise``, ``val-fraction``), and ``version``: the count of changes so far (controls,
  weights set, resets);
* ``frame``: ``seq`` (1, 2, ...), ``version`` (the changes it shows), ``running``, and
  :meth:`~nn.lab.live_frames.FrameBuilder.frame`'s ``step`` (steps trained), ``method``,
  ``loss`` (the last step's training loss: ``text`` and ``exact``, its ``repr``; None before
  the first step), ``history`` (:func:`~nn.lab.live_frames.chart`), ``grid`` (the boundary,
  base64, or None), ``neurons`` (each hidden neuron's heat map, base64, by name; the
  outputs' too when there are several), ``weights``
  (:func:`~nn.lab.live_frames.weights_data`), ``graph`` (the picked point:
  :func:`~nn.lab.live_frames.point_graph`, with ``why`` and ``suggest`` when no gradient
  reaches its neurons) and ``layout`` (the id of its graph's layout);
* ``graph_layout``: that layout (:func:`nn.lab.content.layout`, Graphviz's SVG), with its
  ``id`` (not ``layout``: that is every ipywidget's own Layout widget);
  set before the first frame that needs it;
* ``verdict``: the answer to the last guess (:func:`~nn.lab.live_frames.verdict`: ``step``,
  ``node``, ``correct``, ``guess``, ``exact``, ``text``); ``error``: the last refused message
  or failed training, as text ("" after a good message); ``running``: training in the thread.

The page sends messages (``model.send``), each a dict with a ``type``:
``{"type": "ack", "seq"}`` (frame ``seq`` is drawn), ``{"type": "control", "name", "value"}``
(a control's new value, as text or number), ``play``, ``pause``, ``step`` (one training step),
``reset``, ``{"type": "pick", "index"}``, ``{"type": "set_weight", "name", "value"}`` and
``{"type": "guess", "step", "value"}`` (a guess of the gradient that backward step ``step``,
0 for the loss, gives its node, for the picked point). A message that fails sets ``error``;
nothing is raised into the void. :meth:`nn.LiveLab.receive` handles one, as from the page.

**Flow control.** While playing, the thread trains step after step; after a step it sends a
frame only if the page has acknowledged the last one (or ``fallback`` seconds went by with
no acknowledgement: no page is attached), so frames come as fast as the page draws them and
training goes on between them; and only once training had as long as the last frame took to
build, so that frames take at most about half of the thread's time. A lock guards the model
between the thread and everything else (:meth:`nn.LiveLab.pick`, :meth:`nn.LiveLab.set_weight`,
the controls), which the thread lets in between two steps.
"""

from __future__ import annotations

import inspect
import math
import threading
import time
from collections.abc import Mapping, Sequence
from contextlib import AbstractContextManager
from typing import Any

try:
    import anywidget
    import traitlets
except ImportError as missing:  # pragma: no cover - the lab extra is installed in tests
    raise ImportError(
        "nn.LiveLab needs anywidget (a notebook widget): pip install 'valuegrad[lab]'"
    ) from missing

from nn._validate import NON_NEGATIVE, number
from nn.lab.assets import script, style
from nn.lab.drawing import hardest_sample
from nn.lab.live_frames import GRID, FrameBuilder, verdict
from nn.lab.live_session import CONTROLS, LiveSession, Settings, TurnLock, hidden_sizes
from nn.module import MLP
from nn.train import History, TrainingDiverged


def _control(name: str, doc: str) -> Any:
    """A property of :class:`nn.LiveLab` for the setting ``name``: setting it moves the control."""
    return property(
        lambda lab: getattr(lab._session.settings, name),
        lambda lab, value: lab._change(name, value),
        doc=doc,
    )


class LiveLab(anywidget.AnyWidget):
    """A live lab in a notebook: the kernel trains ``model`` on ``(X, y)`` as the page asks.

    ``model``: an :class:`nn.MLP` (None: a new one with ``hidden`` layers of ``activation``);
    ``X``, ``y``: the data (None: ``dataset`` made with ``noise``, ``n_samples`` points);
    ``loss`` as :func:`nn.fit` names it, ``alpha`` its L2 weight. The controls' starting
    values are keywords of the same names (``lr``, ``optimizer``, ``batch_size``,
    ``momentum``, ``val_fraction``), each also a property: setting it is moving the control.
    ``features`` names the inputs on the plane's axes; ``seed`` every random draw; ``grid``
    the cells per side of the boundary; ``fallback`` the seconds between frames when no page
    acknowledges them. See the module docstring for the protocol.
    """

    _esm = script("draw.js", "live.js")
    _css = style("draw.css", "live.css")
    #: The data and the model's shape: the points, the plane's grid, the network, the choices.
    setup = traitlets.Dict().tag(sync=True)
    #: Each control's value as text, by its ``data-control`` name, and the ``version``.
    controls = traitlets.Dict().tag(sync=True)
    #: The last frame sent (see the module docstring).
    frame = traitlets.Dict().tag(sync=True)
    #: The picked point's graph laid out by Graphviz (SVG with placeholders), with its ``id``.
    graph_layout = traitlets.Dict().tag(sync=True)
    #: The answer to the last guess of a gradient.
    verdict = traitlets.Dict().tag(sync=True)
    #: The last refused message or failed training, as text ("" when all is well).
    error = traitlets.Unicode("").tag(sync=True)
    #: Whether training runs in the thread.
    running = traitlets.Bool(False).tag(sync=True)

    def __init__(
        self,
        model: MLP | None = None,
        X: Sequence[Sequence[float]] | None = None,
        y: Sequence[int] | None = None,
        *,
        loss: str = "hinge",
        lr: float = 0.1,
        optimizer: str = "gd",
        batch_size: int = 10,
        momentum: float = 0.9,
        activation: str = "relu",
        hidden: Sequence[int] | str = (16, 16),
        dataset: str = "moons",
        noise: float = 0.1,
        val_fraction: float = 0.2,
        alpha: float = 0.0,
        n_samples: int = 100,
        features: Sequence[str] = ("x0", "x1"),
        seed: int = 0,
        grid: int = GRID,
        fallback: float = 1.0,
    ) -> None:
        self._thread: threading.Thread | None = None  # first: close() reads it, even on a
        self._stop = threading.Event()  # lab refused below (ipywidgets closes it when freed)
        if (X is None) != (y is None):
            raise ValueError("LiveLab: give both X and y, or neither")
        settings = Settings(
            lr,
            optimizer,
            batch_size,
            momentum,
            activation,
            hidden_sizes(hidden),
            dataset,
            noise,
            val_fraction,
        )
        self._session = LiveSession(
            model,
            None if X is None or y is None else (X, y),
            loss=loss,
            settings=settings,
            alpha=alpha,
            n_samples=n_samples,
            seed=seed,
        )
        self._frames = FrameBuilder(features, grid)
        self._fallback = number("LiveLab", "fallback", fallback, NON_NEGATIVE)
        super().__init__()  # the widget's channel opens only for a lab that is well made
        self._lock = TurnLock()
        self._seq = self._acked = self._version = 0
        self._sent_at = self._cost = 0.0  # when the last frame went, how long it took
        self._picked = 0
        self.on_msg(lambda _widget, content, _buffers: self.receive(content))
        with self._held():
            self._new_data()
            self._changed()

    # What help() and the docs show: these parameters, not traitlets' __new__(*args, **kwargs).
    __signature__ = inspect.Signature(list(inspect.signature(__init__).parameters.values())[1:])

    # -- the Python API --------------------------------------------------------------------

    @property
    def model(self) -> MLP:
        """The model being trained (a new one after a change of ``hidden`` or ``activation``)."""
        return self._session.model

    @property
    def history(self) -> History:
        """Every step since the last reset or change of data or model: ``history["loss"]``."""
        return self._session.history

    @property
    def picked(self) -> int:
        """The index (into the training points) of the point whose graph is shown."""
        return self._picked

    def __repr__(self) -> str:
        """What a front end without widgets shows: the run, the data, the steps so far."""
        return (
            f"<LiveLab: {self.setup['run']} on {self.dataset}, {len(self.history)} steps, "
            f"{self.history.method}>"
        )

    def play(self) -> None:
        """Train in a thread, step after step, until :meth:`pause` (the kernel stays free)."""
        if self._stop.is_set():
            self.pause()  # a thread still stopping: let it finish first
        with self._held():
            if self._thread is not None:
                return
            self._stop.clear()
            self._thread = threading.Thread(target=self._train_on, name="LiveLab", daemon=True)
            self.running = True
            self._thread.start()

    def pause(self) -> None:
        """Stop the thread after its current step (and its frame); wait for it."""
        thread = self._thread
        if thread is None:
            return
        self._stop.set()
        if thread is not threading.current_thread():
            thread.join()

    def train(self, steps: int = 1) -> None:
        """Train ``steps`` steps now (pausing the thread first), then send a frame."""
        if isinstance(steps, bool) or not isinstance(steps, int) or steps < 1:
            raise ValueError(f"LiveLab.train: steps must be a positive integer, got {steps!r}")
        self.pause()
        try:
            for _ in range(steps):
                with self._held():
                    self._session.train_step()
        finally:
            with self._held():
                self._send_frame()

    def reset(self) -> None:
        """Back to the starting weights, a fresh optimizer, an empty history."""
        with self._held():
            self._session.reset()
            self._changed()

    def pick(self, index: int) -> None:
        """Show training point ``index``'s graph (an int from 0 to the number of points - 1)."""
        n = len(self._session.data.X)
        if isinstance(index, bool) or not isinstance(index, int) or not 0 <= index < n:
            raise ValueError(f"LiveLab.pick: index must be an int from 0 to {n - 1}, got {index!r}")
        with self._held():
            self._picked = index
            self._frame_now()

    def set_weight(self, name: str, value: float) -> None:
        """Set one weight (``"L1.n0.w1"``, ``"L2.n3.b"``): the engine recomputes the picked
        point's forward and backward and the boundary at once."""
        with self._held():
            self._session.set_weight(name, value)
            self._changed()

    def close(self) -> None:
        """Stop training, then close the widget (its views disappear)."""
        self.pause()
        super().close()

    def receive(self, message: Mapping[str, Any]) -> None:
        """Handle one message of the page (see the module docstring); a failure sets
        :attr:`error` instead of raising, as a page has nowhere to show an exception."""
        what = message.get("name") or message.get("type")
        try:
            self._dispatch(message)
        except (ValueError, TypeError, ArithmeticError) as e:  # a refused message
            self.error = f"{what}: {e}"
        except Exception as e:  # anything else, shown too: the page is where one looks
            self.error = f"{what}: {type(e).__name__}: {e}"
        else:
            if message.get("type") not in ("ack", "guess"):
                self.error = ""

    # -- the controls, as properties -------------------------------------------------------

    def _change(self, name: str, value: object) -> None:
        with self._held():
            before = self._session.data
            self._session.change(name, value)
            if self._session.data is not before:
                self._new_data()
            self._changed()

    lr = _control("lr", "The learning rate, a finite number >= 0.")
    optimizer = _control("optimizer", "The optimizer: 'gd', 'sgd', 'momentum' or 'adam'.")
    batch_size = _control(
        "batch_size", "The mini-batch size of 'sgd', 'momentum' and 'adam' (not of 'gd')."
    )
    momentum = _control("momentum", "The momentum of the 'momentum' optimizer, in [0, 1).")
    activation = _control(
        "activation", "The hidden layers' activation; setting it builds a new model."
    )
    hidden = _control(
        "hidden",
        "The hidden layers' sizes, (16, 16) (set a list or '16,16'): a new model.",
    )
    dataset = _control(
        "dataset", "The data: 'moons', 'circles', 'xor', 'spirals', 'blobs' or 'yours'."
    )
    noise = _control(
        "noise", "The noise of a made data set (the standard deviation on each coordinate)."
    )
    val_fraction = _control(
        "val_fraction", "The share of the data held out for validation, in [0, 0.9]."
    )

    # -- messages ----------------------------------------------------------------------------

    def _dispatch(self, message: Mapping[str, Any]) -> None:
        kind = message.get("type")
        if kind == "ack":
            self._acked = max(self._acked, int(_field(message, "seq")))
        elif kind == "control":
            name = message.get("name")
            if name not in CONTROLS:
                raise ValueError(
                    f"no control named {name!r}: the controls are {', '.join(CONTROLS)}"
                )
            self._change(CONTROLS[name], _from_page(CONTROLS[name], message.get("value")))
        elif kind in ("play", "pause", "reset"):
            getattr(self, kind)()
        elif kind == "step":
            self.train(1)
        elif kind == "pick":
            self.pick(_field(message, "index"))
        elif kind == "set_weight":
            self.set_weight(_field(message, "name"), _number(message.get("value"), "the weight"))
        elif kind == "guess":
            self._check_guess(_field(message, "step"), _number(message.get("value"), "the guess"))
        else:
            raise ValueError(f"LiveLab: unknown message type {kind!r}")

    def _check_guess(self, step: int, guess: float) -> None:
        with self._held():
            g, _ = self._frames.graph(self._session, self._picked)
        if isinstance(step, bool) or not isinstance(step, int) or not 0 <= step < len(g.steps):
            raise ValueError(
                f"guess: step must be an int from 0 to {len(g.steps) - 1}, got {step!r}"
            )
        self.verdict = verdict(g, step, guess)

    # -- training in the thread --------------------------------------------------------------

    def _train_on(self) -> None:
        try:
            while not self._stop.is_set():
                with self._lock.thread_turn():  # after whoever waits for the model
                    self._session.train_step()
                    if self._due():
                        self._send_frame()
        except TrainingDiverged as e:
            self.error = str(e)
        except Exception as e:  # shown, not lost in the thread
            self.error = f"training stopped: {type(e).__name__}: {e}"
            raise
        finally:
            with self._lock.thread_turn():
                self._thread = None
                self.running = False
                self._send_frame()

    def _due(self) -> bool:
        """Whether the thread sends a frame after this step: the page drew the last one and
        training had at least as long as that frame took to build; or ``fallback`` seconds
        went by without an acknowledgement."""
        waited = time.monotonic() - self._sent_at
        return (self._acked >= self._seq and waited >= self._cost) or waited >= self._fallback

    def _held(self) -> AbstractContextManager[None]:
        """The model's lock, for anyone but the thread: it lets them in between two steps."""
        return self._lock.turn()

    # -- frames ------------------------------------------------------------------------------

    def _changed(self) -> None:
        """A setting or weight changed: a new version, the controls, a frame now or next."""
        self._version += 1
        s = self._session.settings
        values = {page: getattr(s, name) for page, name in CONTROLS.items()}
        values["hidden"] = ",".join(map(str, s.hidden))
        self.controls = {
            **{k: v if isinstance(v, str) else repr(v) for k, v in values.items()},
            "version": self._version,
        }
        self._frame_now()

    def _frame_now(self) -> None:
        """A frame at once when paused; else the thread sends one after its next step."""
        if self._thread is None:
            self._send_frame()
        else:
            self._acked, self._sent_at = self._seq, 0.0  # due after the next step, whatever

    def _new_data(self) -> None:
        """New data or a new model: the setup, and the point of the largest loss picked."""
        s = self._session
        self.setup = self._frames.setup(s)
        self._picked = hardest_sample(s.model, s.data.X, s.data.y, s.row.name)[0]

    def _send_frame(self) -> None:
        """Build the frame of this moment (under the lock) and send it, with its layout first
        if the page does not have it yet."""
        start = time.monotonic()
        grid = self.setup["grid"]
        frame = self._frames.frame(self._session, self._picked, grid and grid["bounds"])
        layout_id = frame["layout"]
        if self.graph_layout.get("id") != layout_id:
            self.graph_layout = {"id": layout_id, **self._frames.layout(layout_id)}
        self._seq += 1
        self.frame = {
            "seq": self._seq,
            "version": self._version,
            "running": self._thread is not None,
            **frame,
        }
        self._sent_at = time.monotonic()
        self._cost = self._sent_at - start


def _field(message: Mapping[str, Any], key: str) -> Any:
    """``message[key]``; ValueError naming the key if the message lacks it."""
    if key not in message:
        raise ValueError(f"the message has no {key!r}: {dict(message)!r}")
    return message[key]


def _number(value: object, what: str) -> float:
    """A number the page sent, as text or a number; ValueError naming ``what``."""
    try:
        x = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not math.isfinite(x):
        raise ValueError(f"{what} must be a finite number, got {value!r}")
    return x


def _from_page(name: str, value: object) -> object:
    """A control's value as the page sends it (text) as the setting takes it."""
    if name in ("lr", "momentum", "noise", "val_fraction") and isinstance(value, str):
        return _number(value, name)
    if name == "batch_size" and isinstance(value, str):
        return int(value) if value.strip().isdigit() else value
    return value
