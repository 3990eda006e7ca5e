"""The docs site, built by Sphinx: ``make docs`` runs ``python -m sphinx -b html -W -n docs site``.

The pages are Markdown read by MyST-Parser; the API reference is autodoc's, from the
docstrings, whose reST roles (``:func:`grad```) are Sphinx's own syntax: nothing converts them.
``-W -n``: every warning fails the build, a cross-reference that resolves to nothing included.
Nothing is fetched at build time or when reading: no intersphinx inventories, no CDN scripts,
no web fonts (Furo uses the system's); tests/test_docs.py opens the pages in Chromium and fails
on any request that leaves the disk.
"""

from __future__ import annotations

import builtins
import importlib
import sys
from pathlib import Path
from typing import Any

from sphinx.pycode import ModuleAnalyzer

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # autodoc imports autograd and nn from this checkout

project = "valuegrad"
author = "The valuegrad developers"
copyright = "the valuegrad developers"

extensions = ["sphinx.ext.autodoc", "myst_parser"]
source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build", "**/__pycache__"]

# Markdown: `{directive}` fences and `(label)=` targets are MyST's; headings get anchors so
# that `page.md#heading` links resolve (and the build checks they do).
myst_heading_anchors = 3

html_theme = "furo"
html_title = "valuegrad"
html_static_path: list[str] = []
# No "view source" link or copy of the .md sources in the site.
html_show_sourcelink = False
html_copy_source = False

# --------------------------------------------------------------------------------------------
# The API reference (docs/api/*.md)
# --------------------------------------------------------------------------------------------

# A module's public names are its __all__, in that order; a class's documented members in
# the order of its source. Members with no docstring are left out (no :undoc-members:): every
# public entry has text. An attribute's docstring is what it holds: its value (Value.data's
# is an expression) is not shown.
# Special methods: the operators (Value.__add__...) and the protocols a user calls; not those
# whose only text is inherited from object (a dataclass's __repr__: "Return repr(self).").
OPERATORS = "add radd sub rsub mul rmul truediv rtruediv pow rpow neg abs lt le gt ge bool"
PROTOCOLS = "call len iter getitem contains"
autodoc_default_options = {
    "members": True,
    "special-members": ", ".join(f"__{name}__" for name in f"{OPERATORS} {PROTOCOLS}".split()),
    "show-inheritance": True,
    "no-value": True,
}
autodoc_member_order = "bysource"
autodoc_class_signature = "mixed"
autodoc_typehints = "signature"
add_module_names = False
python_maximum_signature_line_length = 88

#: The modules whose exported names (their ``__all__``) have a page of their own:
#: api/autograd.md, api/extend.md, api/nn.md. On the modules pages (api/*-modules.md) a
#: module's entry lists only its public extras, so that no object is documented twice.
EXPORTING = ("autograd", "autograd.extend", "autograd.viz", "nn")


def _exported(package: str) -> list[Any]:
    """The objects the pages of ``package``'s exporting modules document."""
    found = []
    for name in EXPORTING:
        if name.split(".")[0] == package:
            module = importlib.import_module(name)
            found += [getattr(module, export) for export in module.__all__]
    return found


def _skip_exported(app: Any, what: str, name: str, obj: Any, skip: bool, options: Any) -> bool:
    """autodoc-skip-member: on the modules pages, what an exporting module's page documents."""
    module_name = app.env.temp_data.get("autodoc:module")  # the module being documented
    if skip or what != "module" or not module_name or module_name in EXPORTING:
        return skip
    return any(obj is other for other in _exported(module_name.split(".")[0]))


def _assigned_doc(app: Any, what: str, name: str, obj: Any, options: Any, lines: list[str]) -> None:
    """autodoc-process-docstring: a name for data that a module imports (``autograd.extend``'s
    ``OPS``, a type alias, a lock) shows the docstring written after the assignment that
    defines it, in the package's module that assigns it; the object has none of its own."""
    if what != "data":
        return
    package, short = name.split(".")[0], name.rpartition(".")[2]
    for module_name, module in list(sys.modules.items()):
        if module_name.split(".")[0] == package and vars(module).get(short) is obj:
            docs = ModuleAnalyzer.for_module(module_name).find_attr_docs()
            if ("", short) in docs:
                lines[:] = docs["", short]
                return


def _unique_name(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    """missing-reference: a short name that is no object of the docstring's module or class
    (``:func:`grad``` in ``autograd.functional``, whose ``grad`` is documented as
    ``autograd.grad``) is looked up as Sphinx looks up ``:func:`.grad```: the one object of
    that name documented anywhere (more than one is a warning, hence an error). A type in a
    signature may be a type alias, which is data (``Operand``, ``Rule``)."""
    if node.get("refdomain") != "py" or node.get("refspecific"):
        return None
    kinds = [node["reftype"], "data"] if node["reftype"] == "class" else [node["reftype"]]
    node["refspecific"] = True
    try:
        for kind in kinds:
            found = env.domains["py"].resolve_xref(
                env, node["refdoc"], app.builder, kind, node["reftarget"], node, contnode
            )
            if found is not None:
                return found
        return None
    finally:
        node["refspecific"] = False


# nitpicky (-n): a reference that resolves to nothing is a warning, hence an error. Ignored:
# only targets outside the project that Sphinx would link through intersphinx, which fetches
# inventories (none here): Python's builtins (float, ValueError) and the standard library's
# modules and their names (typing.Callable, collections.abc.Iterator, pathlib.Path).
nitpicky = True
nitpick_ignore = [
    (f"py:{role}", name)
    for name in dir(builtins)
    for role in ("class", "exc", "obj", "func", "data")
]
nitpick_ignore_regex = [
    (r"py:\w+", rf"({'|'.join(sorted(sys.stdlib_module_names))})(\..+)?"),
    # The optional dependencies' types in signatures (graphviz.Digraph, matplotlib's Axes).
    (r"py:class", r"(graphviz|matplotlib|numpy|torch|anywidget)\..+|Axes"),
    # Type variables (nn.datasets.T) and the private types of signatures (autograd.engine._GradMode,
    # nn._validate.Range): documented nowhere, on purpose. A short private name in a docstring
    # (:meth:`_check`) is no reference: it is written as code (``_check``).
    (r"py:class", r"(\w+\.)+[A-Z]"),
    (r"py:\w+", r"(\w+\.)+_[a-zA-Z]\w*(\.\w+)*"),
    # A protocol its module keeps out of __all__ (the type of save()'s and load()'s argument).
    (r"py:class", r"nn\.serialize\.Stateful"),
]


def _factory_defaults(
    app: Any, what: str, name: str, obj: Any, options: Any, signature: str | None, ret: str | None
) -> tuple[str | None, str | None]:
    """autodoc-process-signature: a dataclass field made by a factory shows its default as
    ``...`` (Python's ``<factory>`` is no expression: Sphinx could not read the signature)."""
    return (signature.replace("<factory>", "...") if signature else signature), ret


def setup(app: Any) -> None:
    app.connect("autodoc-process-signature", _factory_defaults)
    app.connect("autodoc-skip-member", _skip_exported)
    app.connect("autodoc-process-docstring", _assigned_doc)
    app.connect("missing-reference", _unique_name)
