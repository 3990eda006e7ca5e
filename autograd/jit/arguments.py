"""The arguments of a compiled function: static ones pick its program, the others are passed in.

``f = compile(fn, static_argnums=(0,))``; ``f(n, rows, targets)``. A *static* argument (as
``jax.jit``'s ``static_argnums``) may change the graph ``fn`` builds: one program is traced per
distinct value (hashable, compared by value and type: ``1`` is not ``True``). Every other
argument is *passed in*: a Value, a number, or a list or tuple of them (nested as deep as
wanted). Its structure (list or tuple, lengths, which places hold Values and which numbers)
is part of the program's key; its contents are not, so two calls that differ only in *which*
leaves they pass (an embedding row chosen by a token) or in the numbers share one program:

* a **Value** passed in must be a leaf. The program reads its ``.data`` and adds its gradient
  into its ``.grad`` as ``backward()`` would, also when one leaf is passed in several places
  (the program adds each place's terms into the leaf's one accumulator, in the engine's order);
* a **number** becomes a fresh ``Value`` (an input, as an example's inputs in
  :func:`~autograd.compile_mean`): ``fn`` sees a Value, and its gradient is not kept.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, cast

from autograd.engine import Value
from autograd.jit.kinds import static_key

#: How a passed-in argument is laid out: "v" a Value, "x" a number, or (list or tuple, parts).
Layout = object


def _layout(arg: object, where: str, leaves: list[Value], values: list[float]) -> Layout:
    """``arg``'s layout; its Values appended to ``leaves`` and its numbers to ``values``."""
    kind = type(arg)
    if isinstance(arg, Value):
        if kind is not Value:
            raise TypeError(
                f"compile: {where} passes in a {kind.__name__}, a subclass of Value: a program "
                "traced on Values would not run its methods. Use mode='interpret'"
            )
        if arg._prev:
            raise TypeError(
                f"compile: {where} passes in Value(data={arg.data!r}) (operation {arg._op!r}), "
                "which is not a leaf: a compiled program cannot carry its gradient further "
                "back. Pass the leaves it is computed from, or compute it inside the function"
            )
        leaves.append(arg)
        return "v"
    if isinstance(arg, numbers.Real) and kind is not bool:
        values.append(Value(arg).data)  # type: ignore[arg-type]  # as the engine lifts it
        return "x"
    if kind is list or kind is tuple:
        return (kind, tuple(_layout(a, where, leaves, values) for a in arg))  # type: ignore[attr-defined]
    raise TypeError(
        f"compile: {where} must be a Value, a number (not a bool), or a list or tuple of them, "
        f"got {kind.__name__}; an argument that decides the graph is static (static_argnums)"
    )


def _rebuilt(layout: Layout, leaves: list[Value], numbers: list[Value]) -> object:
    """The argument of ``layout`` with its places filled from the front of the two lists."""
    if layout == "v":
        return leaves.pop()
    if layout == "x":
        return numbers.pop()
    kind, parts = cast("tuple[type[list[object]], tuple[Layout, ...]]", layout)
    return kind(_rebuilt(part, leaves, numbers) for part in parts)


@dataclass
class Call:
    """One call's arguments, read once: its program's key, the leaves and numbers passed in."""

    args: tuple[Any, ...]
    static: frozenset[int]
    key: tuple[object, ...]
    layouts: list[Layout]
    leaves: list[Value]  # every Value passed in, in argument order (a leaf may repeat)
    numbers: list[float]
    #: whether every leaf passed in holds a float (an int ``.data`` set by hand is rounded
    #: by the engine at every node, not by a program: such a call runs on the engine)
    floats: bool = True

    @classmethod
    def of(cls, args: tuple[Any, ...], static_argnums: frozenset[int]) -> Call:
        """Read ``args``: a TypeError names any argument that is neither static nor passable.
        A static position the call does not reach is left to ``fn``'s default."""
        key: list[object] = []
        layouts: list[Layout] = []
        leaves: list[Value] = []
        numbers: list[float] = []
        for i, arg in enumerate(args):
            if i in static_argnums:
                key.append(static_key(arg, "compile"))
                try:
                    hash(key[-1])
                except TypeError:
                    raise TypeError(
                        f"compile: static argument {i} must be hashable (as jax.jit's static "
                        f"arguments), got {type(arg).__name__}"
                    ) from None
            else:
                layouts.append(_layout(arg, f"argument {i}", leaves, numbers))
                key.append(layouts[-1])
        floats = all(type(leaf.data) is float for leaf in leaves)
        return cls(args, static_argnums, tuple(key), layouts, leaves, numbers, floats)

    def arguments(self, leaves: Sequence[Value], numbers: Sequence[Value]) -> tuple[Any, ...]:
        """The arguments with every passed-in place filled from ``leaves`` and ``numbers``
        (Values, in argument order); the static arguments as they were."""
        stack_v, stack_x = list(reversed(leaves)), list(reversed(numbers))
        layouts = iter(self.layouts)
        return tuple(
            arg if i in self.static else _rebuilt(next(layouts), stack_v, stack_x)
            for i, arg in enumerate(self.args)
        )

    def on_engine(self) -> tuple[Any, ...]:
        """The arguments as the engine takes them: the leaves themselves, each number lifted
        to a fresh Value (as a trace sees it)."""
        return self.arguments(self.leaves, [Value(x) for x in self.numbers])

    def accumulators(self) -> tuple[list[int], list[Value]]:
        """For each place a Value is passed in, the index of its leaf's gradient accumulator
        (one per distinct leaf, in order of first appearance), and the distinct leaves."""
        first: dict[int, int] = {}
        distinct: list[Value] = []
        places = []
        for leaf in self.leaves:
            k = first.setdefault(id(leaf), len(distinct))
            if k == len(distinct):
                distinct.append(leaf)
            places.append(k)
        return places, distinct
