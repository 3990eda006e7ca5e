"""Compile: trace a scalar program once, replay it as straight-line Python (or NumPy).

The interpreted engine pays, every step, for one object per operation, a topological sort
and a node-by-node backward pass. But a training step builds the *same* graph every time;
only the numbers change. :func:`~autograd.jit.compile` runs ``fn()`` once with the engine
(the *trace*, :mod:`autograd.jit.trace`), then writes the graph down as a Python function,
one line per node (:mod:`autograd.jit.emit`): the forward pass, the chain rule from the
output back to the leaves (the engine's ``backward()``, in its order, so every float is the
same, bit for bit), and the gradients added to the leaves' ``.grad``. Later calls run that
function on the leaves' current ``.data``: no node is made. :func:`compile_mean` does the same for a
mean over examples, looping in Python or across the batch in NumPy
(:mod:`autograd.jit.batched`).

What is a parameter, what a constant: a leaf still alive once the traced graph is dropped
(held by a model, a list, a closure) is a parameter: its ``.data`` is read on every call
and its ``.grad`` receives the gradient. A leaf that dies with the graph (a number ``fn``
lifted, ``Value(2.0)`` made inside ``fn``) is a constant, written into the code.

**Guards** (what could make a call's graph differ from the traced one):

* a Python branch on a comparison of Values (``if a < b``, ``if x:``, ``max`` of Values),
  in ``fn`` or in an op's own rule while ``fn`` takes a gradient of a gradient (``relu``'s
  kink, ``x ** c`` at 0), in ``fn``'s thread or a worker thread it starts: every comparison
  made while tracing is recorded and checked on every replay; if one flips, that call runs
  on the engine (the result is exact) and its graph becomes the new program (a
  *re-trace*, counted in ``retraces``);
* the kind of each example, for :func:`compile_mean`: its static value and its number of
  inputs pick its program (one is traced per kind), run for each example of the batch;
* a branch on raw floats (``if x.data > 0``, ``max(z.data ...)``, a list built from data, a
  number of samples fixed inside ``fn``): not visible to a tracer. It is a precondition of
  :func:`~autograd.jit.compile`: ``fn`` builds the same graph (the same ops on the same
  leaves, with the same constants) every call. ``check=True`` verifies it on every call by
  running the engine too and comparing every bit (a debug mode, twice the cost):
  :class:`CompileMismatch`.

**Refused**, with a TypeError naming it, before anything is written: a result that is not a
Value; an operation outside :mod:`autograd.ops` (a :func:`autograd.custom_op`); values
computed under ``no_grad`` inside ``fn``, and backward passes in floats or compiled calls
run inside it (their numbers would be frozen, their writes not done again); a node computed
before ``fn`` was called and held from outside, or one ``fn`` makes and keeps (the engine
would reuse its old value where a replay recomputes it).
**Arguments** (:mod:`autograd.jit.arguments`): ``compile(fn, static_argnums=...)`` traces one
program per static value; leaves and numbers passed in are read at run time, so calls that
pass other leaves in the same places (other tokens' embedding rows) share one program. A
graph of more than ``max_nodes`` nodes is not written down: its calls run on the engine.

Under ``no_grad`` a call returns the loss and writes no gradient. Calls from several
threads take turns on :data:`autograd.extend.gradient_lock`, as ``backward()`` does. Under
:func:`autograd.detect_anomaly`, or with ``mode="interpret"``, calls run on the engine.
"""

from autograd.jit.mean import CompiledMean, compile_mean
from autograd.jit.program import Compiled, CompileMismatch, compile

__all__ = ["CompileMismatch", "Compiled", "CompiledMean", "compile", "compile_mean"]
