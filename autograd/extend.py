"""What code built on the engine may use beyond ``autograd``'s public names (HIPS style).

The other modules of this library (``functional``, ``anomaly``, ``viz``, ``nn``, the
benchmarks) use only ``autograd``'s public names and these:

* the table of primitives (:mod:`autograd.ops`): :class:`Op`, :data:`OPS` (a tuple, one row
  per primitive), :class:`BoundRule` (a node's rule of an op with a constant, naming its
  row), :data:`Rule` (the signature of a local-gradient rule
  ``rule(g, out, *parents) -> (g * dout/dparent, ...)``), :data:`Grad`,
  :class:`OutOfDomain` (what a row's forward raises outside its domain);
* making a node (:mod:`autograd.engine`): :func:`make_node` (a graph node, or a leaf under
  ``no_grad``), :func:`as_value` (a number as a constant leaf) and :data:`Operand`;
* walking a graph (:mod:`autograd.graph`): :func:`topological_order` (parents before
  children), :func:`backward_pass` (the chain rule node by node, yielding each node's
  gradient), :func:`local_gradients` (one node's rule applied to its parents, in floats)
  and :func:`gc_paused` (pause the cyclic garbage collector around a training step);
* writing gradients (:mod:`autograd.guards`): :func:`grad_before` (a leaf's gradient as a
  pass adds to it: None is 0, a non-number is refused) and :data:`gradient_lock` (taken by
  every writer of ``.grad``);
* the recording hooks (:mod:`autograd.grad_mode`): :func:`is_grad_enabled`,
  :func:`anomaly_hook` (show every new node and every local gradient to a detector) and
  the :class:`AnomalyHook` it expects, :func:`anomaly_detector` (the active one, if any),
  :func:`trace_hook` (tell a tracer every comparison of a Value and every node made) and the
  :class:`TraceHook` it expects, :func:`read_out` (tell it that numbers are read out of
  graphs, as a compiled call does);
* :func:`write_text_atomic`, through which every file the library writes goes;
* the page base, on which every page the library writes is built: :class:`Widget` (a
  payload, a script and a style, as a notebook output or a whole page written atomically)
  and :class:`ShownAsWidget` (what shows itself as one),
  :func:`encode_payload` (data for the payload, compressed or not), :func:`decode_payload`
  (its data read back from the payload),
  :func:`script_json` and :func:`css_colour` (data and colours escaped for a ``<script>``
  element and a style).

A new primitive is a row of :mod:`autograd.ops` (and its entry in ``tests/oracles.py``) plus
one line in ``Value`` and one in :mod:`autograd.functional`; a new operation outside the
library is :func:`autograd.custom_op`, or :func:`make_node` with a rule.
"""

from autograd.engine import Operand, as_value, make_node
from autograd.files import write_text_atomic
from autograd.grad_mode import (
    AnomalyHook,
    TraceHook,
    anomaly_detector,
    anomaly_hook,
    is_grad_enabled,
    read_out,
    trace_hook,
)
from autograd.graph import backward_pass, gc_paused, local_gradients, topological_order
from autograd.guards import grad_before, gradient_lock
from autograd.ops import OPS, BoundRule, Grad, Op, OutOfDomain, Rule
from autograd.viz.page import (
    ShownAsWidget,
    Widget,
    css_colour,
    decode_payload,
    encode_payload,
    script_json,
)

__all__ = [
    "OPS",
    "AnomalyHook",
    "BoundRule",
    "Grad",
    "Op",
    "Operand",
    "OutOfDomain",
    "Rule",
    "ShownAsWidget",
    "TraceHook",
    "Widget",
    "anomaly_detector",
    "anomaly_hook",
    "as_value",
    "backward_pass",
    "css_colour",
    "decode_payload",
    "encode_payload",
    "gc_paused",
    "grad_before",
    "gradient_lock",
    "is_grad_enabled",
    "local_gradients",
    "make_node",
    "read_out",
    "script_json",
    "topological_order",
    "trace_hook",
    "write_text_atomic",
]
