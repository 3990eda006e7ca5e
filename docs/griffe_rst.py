"""A griffe extension: the reST of valuegrad's docstrings as mkdocstrings' Markdown.

The docstrings are written for readers of the source and for ``help()``, in reST's idiom:
``:func:`draw_graph```, ``:class:`~nn.MLP```, ````code````, ``>>>`` examples, ``text::``
before a literal block. mkdocstrings renders docstrings as Markdown, so this extension
rewrites each docstring once its package is loaded (the source files are not touched):

* the roles ``:func:``, ``:meth:``, ``:class:``, ``:exc:``, ``:data:``, ``:attr:``,
  ``:obj:`` and ``:mod:`` become cross-references. The name is resolved as Python would
  see it from where the docstring is: the members of the object and of its parents, then
  the names its module defines or imports (``:meth:`step``` in a method's docstring is
  its class's; ``Module.state_dict`` in ``nn.module``); else as an absolute path
  (``autograd.compile_mean``). ``~`` shows the last component only, as in Sphinx. A name
  that resolves nowhere is a warning, so ``mkdocs build --strict`` fails; so is any other
  reST markup left in the text (a misspelled role, ``:ref:``, a ```link`_``), which would
  show as written. Inside ````literals```` and ``>>>`` examples a role is text;
* a name exported by a module (its ``__all__``) links to where the site documents it,
  under its shortest exported path (``autograd.grad``, not ``autograd.functional.grad``),
  and autorefs fails the strict build if no page does; any other name that exists (a
  private helper, a module's internals) links if a page documents it, else shows as code;
  a Python built-in (``ValueError``) that the docstring's scope does not define shows as
  code;
* ``>>>`` blocks become fenced ``pycon`` blocks (Markdown would read ``>`` as a quote);
* ``text::`` before a literal block becomes ``text:`` (the indented block is code in
  Markdown too);
* an attribute documented by Sphinx's ``#:`` comment lines above it gets their text as its
  docstring (griffe reads only a string after it);
* an object whose docstring is made at run time gets that docstring: ``autograd.exp``, an
  ``Elementwise`` whose text comes from its row of the table; ``Value.exp``, a method made
  by ``_unary(ops.EXP)``, which is shown as the method it is, with its signature (as are
  the methods a class assigns by unpacking, ``__add__, __radd__ = ...``, which griffe
  does not see at all).

Configured in ``mkdocs.yml`` under the python handler's ``extensions``; :func:`convert` is
the conversion of one docstring, unit-tested in ``tests/test_docs.py``.
"""

from __future__ import annotations

import ast
import builtins
import contextlib
import html
import importlib
import inspect
import logging
import re
from collections.abc import Callable, Iterator
from typing import Any

import griffe

#: The roles rewritten into cross-references (Sphinx's Python domain names).
ROLES = ("func", "meth", "class", "exc", "data", "attr", "obj", "mod")

_ROLE = re.compile(r"(?<![\w:.-]):(?P<role>" + "|".join(ROLES) + r"):`(?P<target>[^`]+)`")
# What is left of reST markup once the roles are rewritten: any other role (misspelled,
# ``:ref:``, ``:py:func:``) and a link reference (```name`_``), which Markdown would show as
# they are written.
_LEFTOVER = re.compile(
    r"(?<![\w`]):[A-Za-z][\w.+-]*(?::[A-Za-z][\w+-]*)*:`[^`]+`|(?<![\w`])`[^`\s][^`]*`__?(?!\w)"
)
# Where markup is text: inline literals (````x````) and fenced blocks (a ``>>>`` example).
_LITERAL = re.compile(r"``.+?``(?!`)|^[ \t]*```[^\n]*\n.*?^[ \t]*```[ \t]*$", re.M | re.S)
_BUILTINS = frozenset(dir(builtins))

# A logger under "mkdocs", so that `mkdocs build --strict` counts its warnings.
_log = logging.getLogger("mkdocs.plugins.valuegrad.griffe_rst")

#: resolve(name) -> (identifier, required): where the name is documented and whether a page
#: must document it; None when the name exists nowhere.
Resolver = Callable[[str], tuple[str, bool] | None]


def convert(text: str, resolve: Resolver, where: str = "docstring") -> str:
    """One docstring's reST (roles, ``>>>`` blocks, ``::``) as Markdown.

    ``resolve`` maps a role's target to ``(identifier, required)`` or None; ``where``
    names the docstring's object in the warning for a name that resolves nowhere.
    """
    text = _literal_blocks(_doctests(text))
    out: list[str] = []
    start = 0
    for literal in _LITERAL.finditer(text):
        out += [_roles(text[start : literal.start()], resolve, where), literal[0]]
        start = literal.end()
    out.append(_roles(text[start:], resolve, where))
    return "".join(out)


def _roles(text: str, resolve: Resolver, where: str) -> str:
    """The roles of some text outside literals as cross-references; any other reST markup
    left is a warning (a misspelled or unsupported role would show as written)."""

    def replace(match: re.Match[str]) -> str:
        role, target = match["role"], match["target"].strip()
        name = target.lstrip("~").lstrip(".")
        if role in ("func", "meth"):
            name = name.removesuffix("()")
        shown = name.rsplit(".", 1)[-1] if target.startswith("~") else name
        if role in ("func", "meth"):
            shown += "()"
        # The docstring's scope first (autograd/jit/program.py's :func:`compile` is its own),
        # then Python's built-ins.
        found = resolve(name)
        if found is None and name in _BUILTINS:
            return f"`{shown}`"
        if found is None:
            _log.warning("%s: :%s:`%s` names nothing that exists", where, role, target)
            return f"`{shown}`"
        identifier, required = found
        # autorefs resolves <autoref> once every page is rendered: an optional one that no
        # page documents shows as code, a required one fails the strict build.
        optional = "" if required else " optional"
        code = f"<code>{html.escape(shown)}</code>"
        return f'<autoref identifier="{html.escape(identifier)}"{optional}>{code}</autoref>'

    text = _ROLE.sub(replace, text)
    for leftover in _LEFTOVER.finditer(text):
        _log.warning(
            "%s: %s is not a role that becomes a link (%s); Markdown shows it as written",
            where,
            leftover[0],
            ", ".join(f":{role}:" for role in ROLES),
        )
    return text


def _doctests(text: str) -> str:
    """Each run of ``>>>`` lines (with its ``...`` and output lines) as a fenced block."""
    out: list[str] = []
    lines = text.split("\n")
    i = 0
    while i < len(lines):
        stripped = lines[i].lstrip()
        if not stripped.startswith(">>>"):
            out.append(lines[i])
            i += 1
            continue
        indent = len(lines[i]) - len(stripped)
        block: list[str] = []
        while i < len(lines) and lines[i].strip():
            block.append(lines[i][indent:])
            i += 1
        if out and out[-1].strip():
            out.append("")
        out += ["```pycon", *block, "```"]
    return "\n".join(out)


def _literal_blocks(text: str) -> str:
    """``text::`` -> ``text:``, and a lone ``::`` line goes (the block stays indented)."""
    text = re.sub(r"(?m)^[ \t]*::[ \t]*$", "", text)
    return re.sub(r"(?m)(?<=\S)::[ \t]*$", ":", text)


def _objects(obj: griffe.Object) -> Iterator[griffe.Object]:
    """obj and every object defined under it (aliases, i.e. imports, are not visited)."""
    yield obj
    for member in obj.members.values():
        if not member.is_alias:
            yield from _objects(member)  # type: ignore[arg-type]


class _Package:
    """Name resolution from inside one loaded package (and whatever else the loader holds)."""

    def __init__(self, pkg: griffe.Module, loader: griffe.GriffeLoader) -> None:
        self.pkg = pkg
        self.collection = loader.modules_collection
        self.exported: dict[str, str] = {}  # canonical path -> shortest exported path
        for obj in _objects(pkg):
            if isinstance(obj, griffe.Module) and obj.exports is not None:
                for name in obj.exports:
                    member = obj.members.get(name) if isinstance(name, str) else None
                    if member is None:
                        continue
                    target = member.target_path if isinstance(member, griffe.Alias) else member.path
                    path = f"{obj.path}.{name}"
                    known = self.exported.get(target)
                    if known is None or path.count(".") < known.count("."):
                        self.exported[target] = path
        self.documented = set(self.exported.values())

    def exists(self, path: str) -> bool:
        try:
            self.collection.get_member(path)
        except (KeyError, ValueError, griffe.AliasResolutionError, griffe.CyclicAliasError):
            return False
        return True

    def identifier(self, path: str) -> tuple[str, bool]:
        """(where path is documented, whether a page must document it)."""
        parts = path.split(".")
        for k in range(len(parts), 0, -1):
            head, tail = ".".join(parts[:k]), parts[k:]
            private = any(part.startswith("_") and not part.endswith("__") for part in tail)
            if head in self.exported:
                return ".".join([self.exported[head], *tail]), not private
            if head in self.documented:
                return path, not private
        return path, False

    def resolver(self, obj: griffe.Object) -> Resolver:
        """Resolves names as seen from obj's docstring."""

        def resolve(name: str) -> tuple[str, bool] | None:
            first, _, rest = name.partition(".")
            candidates = [name]
            with contextlib.suppress(griffe.NameResolutionError):
                candidates.insert(0, obj.resolve(first) + ("." + rest if rest else ""))
            for path in candidates:
                if self.exists(path):
                    return self.identifier(path)
                top, dot, _ = path.partition(".")
                if dot and top != self.pkg.name and top not in self.collection.members:
                    return path, True  # a package not loaded here: autorefs checks the link
            return None

        return resolve


def _runtime_value(obj: griffe.Object) -> Any:
    """What obj is at run time: its module's attribute, or its class's (looked up in the
    class's own namespace, so a method is its function); None if that cannot be had."""
    parent = obj.parent
    if isinstance(parent, griffe.Module):
        try:
            return getattr(importlib.import_module(parent.path), obj.name, None)
        except Exception:  # a module that cannot be imported here: static analysis only
            return None
    if isinstance(parent, griffe.Class):
        owner = _runtime_value(parent)
        return vars(owner).get(obj.name) if isinstance(owner, type) else None
    return None


def _runtime_docstring(value: Any) -> str | None:
    """The docstring a value carries at run time, if its own (not its type's).

    ``autograd.exp = Elementwise(ops.EXP)`` is an object whose ``__doc__`` is made from its
    row of the table, ``Value.exp = _unary(ops.EXP)`` a function whose ``__doc__`` is:
    static analysis cannot see either.
    """
    doc = getattr(value, "__doc__", None)
    if not isinstance(doc, str) or doc == getattr(type(value), "__doc__", None):
        return None
    return doc


def _annotation(annotation: Any, scope: griffe.Module | griffe.Class) -> str | griffe.Expr | None:
    """A run-time annotation (a string, under ``from __future__ import annotations``) as
    griffe's expression, its names resolved from scope (so the signature links them)."""
    if annotation is inspect.Parameter.empty:
        return None
    text = annotation if isinstance(annotation, str) else inspect.formatannotation(annotation)
    try:
        node = ast.parse(text, mode="eval").body
    except SyntaxError:
        return text
    return griffe.safe_get_annotation(node, scope) or text


def _as_function(attr: griffe.Attribute, function: Callable[..., Any]) -> griffe.Function:
    """An attribute whose value is a function made at run time (``exp = _unary(ops.EXP)``)
    as the function it is: its signature and docstring from the object."""
    scope = attr.parent
    assert isinstance(scope, (griffe.Module, griffe.Class))
    signature = inspect.signature(function)
    parameters = griffe.Parameters(
        *(
            griffe.Parameter(
                p.name,
                annotation=_annotation(p.annotation, scope),
                kind=griffe.ParameterKind(p.kind.description),
                default=None if p.default is p.empty else repr(p.default),
            )
            for p in signature.parameters.values()
        )
    )
    made = griffe.Function(
        attr.name,
        lineno=attr.lineno,
        endlineno=attr.endlineno,
        parameters=parameters,
        returns=_annotation(signature.return_annotation, scope),
    )
    doc = _runtime_docstring(function)
    if doc is not None:
        made.docstring = griffe.Docstring(doc, parent=made)
    return made


def _comment_docstring(attr: griffe.Attribute) -> str | None:
    """The text of the Sphinx ``#:`` comment lines right above an attribute, if any."""
    if attr.lineno is None:
        return None
    lines = attr.module.lines
    above: list[str] = []
    i = attr.lineno - 2
    while i >= 0 and lines[i].lstrip().startswith("#:"):
        above.insert(0, lines[i].lstrip()[2:].removeprefix(" "))
        i -= 1
    return "\n".join(above) or None


def _unpacked_methods(cls: griffe.Class) -> Iterator[griffe.Function]:
    """The methods a class body assigns by unpacking (``__add__, __radd__ = ...``), which
    griffe does not see: each as a function, at the line that assigns it."""
    owner = _runtime_value(cls)
    if not isinstance(owner, type) or cls.lineno is None or cls.endlineno is None:
        return
    lines = cls.module.lines
    for name, value in vars(owner).items():
        if name in cls.members or not inspect.isfunction(value):
            continue
        for lineno in range(cls.lineno + 1, cls.endlineno + 1):
            target, equals, _ = lines[lineno - 1].partition("=")
            if equals and "," in target and name in re.findall(r"\w+", target):
                attr = griffe.Attribute(name, lineno=lineno, endlineno=lineno, parent=cls)
                yield _as_function(attr, value)
                break


def _add_runtime_docstrings(pkg: griffe.Module) -> None:
    """An attribute with no docstring in the source gets its ``#:`` comment, else the
    docstring its value has at run time; one whose value is a function (a method made by a
    factory) becomes that function."""
    for obj in list(_objects(pkg)):
        if obj.docstring is not None or not isinstance(obj, griffe.Attribute):
            continue
        comment = _comment_docstring(obj)
        if comment is not None:
            obj.docstring = griffe.Docstring(comment, parent=obj)
            continue
        if not isinstance(obj.parent, (griffe.Module, griffe.Class)):
            continue
        value = _runtime_value(obj)
        if inspect.isfunction(value):
            obj.parent.set_member(obj.name, _as_function(obj, value))
            continue
        doc = _runtime_docstring(value)
        if doc is not None:
            obj.docstring = griffe.Docstring(doc, parent=obj)
    for cls in [obj for obj in _objects(pkg) if isinstance(obj, griffe.Class)]:
        methods = list(_unpacked_methods(cls))
        for method in methods:
            cls.set_member(method.name, method)
        if methods:  # in the order of the source, as the page lists members
            members = sorted(cls.members.items(), key=lambda item: item[1].lineno or 0)
            cls.members.clear()
            cls.members.update(members)


class ReSTRoles(griffe.Extension):
    """Rewrites every docstring of each package once it is loaded (see the module's text)."""

    def on_package(self, *, pkg: griffe.Module, loader: griffe.GriffeLoader, **kwargs: Any) -> None:
        _add_runtime_docstrings(pkg)
        package = _Package(pkg, loader)
        for obj in _objects(pkg):
            if obj.docstring is not None:
                obj.docstring.value = convert(
                    obj.docstring.value, package.resolver(obj), where=obj.path
                )
