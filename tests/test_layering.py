"""The house's layering rules, read from the source (every ``import`` statement, by ``ast``).

1. ``autograd`` (floor 1) never imports ``nn`` (floor 2), nor the benchmarks.
2. Code built on the engine (``nn``, ``benchmarks``) reaches it only through its public
   doors: ``autograd``, ``autograd.extend`` and the drawing namespace ``autograd.viz``.
3. Nothing imports a private name (``_x``) from another module's namespace, nor a private
   module of another package.
4. No file in ``autograd/`` or ``nn/`` is over 600 lines; an op row is at most 5 lines; the
   public names stay few.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

import autograd
import autograd.extend
import nn

ROOT = Path(__file__).resolve().parent.parent
PUBLIC_DOORS = {"autograd", "autograd.extend", "autograd.viz"}
MAX_LINES = 600


def _sources(*folders: str) -> list[Path]:
    return sorted(p for folder in folders for p in (ROOT / folder).rglob("*.py"))


def _module_of(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _package_of(path: Path) -> str:
    module = _module_of(path)
    return module if path.name == "__init__.py" else module.rpartition(".")[0]


def _imports(path: Path, package: str | None = None) -> Iterator[tuple[int, str, list[str]]]:
    """``(line, module, names)`` for every import in ``path`` (relative ones resolved)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = _package_of(path) if package is None else package
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name, []
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join([*base, module] if module else base)
            yield node.lineno, module, [alias.name for alias in node.names]


def _top(module: str) -> str:
    return module.partition(".")[0]


def test_the_engine_never_imports_the_floors_above_it() -> None:
    offending = [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in _sources("autograd")
        for line, module, _ in _imports(path)
        if _top(module) in {"nn", "benchmarks"}
    ]
    assert offending == []


@pytest.mark.parametrize("folder", ["nn", "benchmarks"])
def test_code_on_the_engine_uses_only_its_public_doors(folder: str) -> None:
    offending = []
    for path in _sources(folder):
        for line, module, _ in _imports(path):
            if _top(module) == "autograd" and module not in PUBLIC_DOORS:
                offending.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert offending == []


def test_no_private_name_crosses_a_package() -> None:
    offending = []
    for path in _sources("autograd", "nn", "benchmarks"):
        own_package = _top(_module_of(path))
        for line, module, names in _imports(path):
            if _top(module) not in {"autograd", "nn"} or _top(module) == own_package:
                continue
            private = [n for n in names if n.startswith("_") and not n.startswith("__")]
            private_module = [p for p in module.split(".") if p.startswith("_")]
            if private or private_module:
                offending.append(f"{path.relative_to(ROOT)}:{line} imports {module} {private}")
    assert offending == []


def _is_module(dotted: str) -> bool:
    where = ROOT.joinpath(*dotted.split("."))
    return where.with_suffix(".py").is_file() or (where / "__init__.py").is_file()


def test_no_module_imports_a_private_name_of_another_module() -> None:
    """Inside a package too: ``from autograd.engine import _lift`` in another module is out.

    A package's own private helper module (``from nn import _validate`` in ``nn``) is its own.
    """
    offending = []
    for path in _sources("autograd", "nn", "benchmarks"):
        for line, module, names in _imports(path):
            if _top(module) not in {"autograd", "nn"}:
                continue
            private = [
                n
                for n in names
                if n.startswith("_") and not n.startswith("__") and not _is_module(f"{module}.{n}")
            ]
            if private:
                offending.append(f"{path.relative_to(ROOT)}:{line} from {module} import {private}")
    assert offending == []


def test_no_file_of_the_two_packages_is_over_600_lines() -> None:
    long_files = {
        str(path.relative_to(ROOT)): n
        for path in _sources("autograd", "nn")
        if (n := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert long_files == {}


def test_the_rules_catch_what_they_forbid(tmp_path: Path) -> None:
    """The checks above are not vacuous: each flags a file that breaks its rule."""
    bad = tmp_path / "bad.py"
    bad.write_text("from autograd.engine import _lift\nimport nn.train\nfrom . import x\n")
    found = list(_imports(bad, package="nn"))
    assert (1, "autograd.engine", ["_lift"]) in found
    assert (2, "nn.train", []) in found
    assert (3, "nn", ["x"]) in found
    assert not _is_module("autograd.engine._lift")
    assert _is_module("autograd.engine")


def test_an_op_row_is_at_most_five_lines() -> None:
    """Each row of the table (``NAME = Op(...)`` in autograd/ops.py) reads at a glance."""
    tree = ast.parse((ROOT / "autograd" / "ops.py").read_text(encoding="utf-8"))
    rows = {
        node.targets[0].id: node.end_lineno - node.lineno + 1  # type: ignore[attr-defined,operator]
        for node in tree.body
        if isinstance(node, ast.Assign)
        and isinstance(node.value, ast.Call)
        and getattr(node.value.func, "id", None) == "Op"
    }
    assert len(rows) == len(autograd.extend.OPS)
    assert {name: n for name, n in rows.items() if n > 5} == {}


def test_the_public_names_stay_few() -> None:
    """A narrow door: at most 32 names in ``autograd``, 36 in ``nn`` (each documented)."""
    assert len(autograd.__all__) <= 32
    assert len(nn.__all__) <= 36
    assert "compile" not in autograd.__all__ and "sum" not in autograd.__all__  # builtins
    assert callable(autograd.compile) and callable(autograd.sum)
