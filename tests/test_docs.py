"""The docs site and the README: the site builds with Sphinx, warnings as errors and nitpicky
(``-W -n``; with no network when the machine lets us cut it), loads nothing from elsewhere
(neither its HTML and CSS nor, opened in Chromium, its scripts), documents every public name
with its docstring, and a broken cross-reference in a docstring or a page fails it; the
README's and the live lab guide's examples print what their comments say; every relative link
points at a file."""

from __future__ import annotations

import contextlib
import dataclasses
import html
import importlib
import inspect
import io
import os
import pkgutil
import re
import runpy
import shutil
import subprocess
import sys
import textwrap
import threading
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"


def _sphinx(
    source: Path, site: Path, *, offline: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    """``python -m sphinx -b html -W --keep-going -n`` (as make docs) in a subprocess, from
    source's folder (its conf.py); prefixed by ``offline`` (an unshare command that runs it
    with no network), if given."""
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-W", "--keep-going", "-n", "-q"]
    command = [*offline, *command, str(source), str(site)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run(command, cwd=source, env=env, capture_output=True, text=True, timeout=600)


def _network_cutter() -> tuple[str, ...]:
    """An unshare command that runs a program in a network namespace of its own (no
    interfaces up), checked by trying to connect; () where none works here."""
    if shutil.which("unshare") is None:
        return ()
    probe = "import socket; socket.create_connection(('1.1.1.1', 53), timeout=2)"
    # --net needs root (CAP_SYS_ADMIN), as in CI; -rn maps the user to root in a new user
    # namespace, where the kernel allows unprivileged ones.
    for cutter in (("unshare", "--net", "--"), ("unshare", "-rn", "--")):
        done = subprocess.run(
            [*cutter, sys.executable, "-c", probe], capture_output=True, text=True
        )
        if done.returncode != 0 and "network is unreachable" in done.stderr.lower():
            return cutter
    return ()


@dataclass
class Build:
    site: Path
    result: subprocess.CompletedProcess[str]
    offline: tuple[str, ...]


@pytest.fixture(scope="module")
def build(tmp_path_factory: pytest.TempPathFactory) -> Build:
    """The site, built once for this module: with no network where unshare can cut it."""
    site = tmp_path_factory.mktemp("site")
    offline = _network_cutter()
    return Build(site, _sphinx(DOCS, site, offline=offline), offline)


def test_the_site_builds_with_warnings_as_errors_and_nitpicky(build: Build) -> None:
    assert build.result.returncode == 0, build.result.stdout + build.result.stderr
    assert (build.site / "index.html").is_file()
    assert "WARNING" not in build.result.stderr
    assert "ERROR" not in build.result.stderr


def test_the_site_builds_with_no_network(build: Build) -> None:
    if not build.offline:
        pytest.skip("unshare cannot cut the network here (CI runs as root, where it can)")
    assert build.result.returncode == 0, build.result.stdout + build.result.stderr


def test_every_page_is_in_the_navigation_in_order(build: Build) -> None:
    """Every Markdown page is built and linked from the home page's navigation (toctrees),
    in the order of the guide: a page left out of every toctree is a warning, hence an error."""
    assert build.result.returncode == 0
    pages = {p.relative_to(DOCS).with_suffix(".html") for p in DOCS.rglob("*.md")}
    assert len(pages) >= 20 and all((build.site / page).is_file() for page in pages)
    nav = (build.site / "index.html").read_text(encoding="utf-8")
    nav = nav[nav.index('class="sidebar-tree"') :]
    order = [href for href in re.findall(r'class="reference internal" href="([^"#]+)"', nav)]
    expected = ["getting-started.html", "install.html", "guide/micrograd.html"]
    expected += ["guide/engine.html", "performance.html", "changelog.html", "api/autograd.html"]
    positions = [order.index(page) for page in expected]
    assert positions == sorted(positions), order
    assert {str(page) for page in pages} - {"index.html"} <= set(order)


# --------------------------------------------------------------------------------------------
# Nothing loaded from elsewhere
# --------------------------------------------------------------------------------------------

_REMOTE = r"(?:https?:)?//"
# url(...) and @import in CSS (also inside a page's <style> or style=""), and in JS bundles.
_CSS_REMOTE = re.compile(r"""(?:url\(\s*['"]?|@import\s+['"])""" + _REMOTE + r"""[^'")\s]*""", re.I)
# Where an SVG picture would load something: <image href>, xlink:href, <use href>.
_SVG_REMOTE = re.compile(
    r"""<(?:image|use|script|link)\b[^>]*?href\s*=\s*['"]""" + _REMOTE + r"""[^'"]*""", re.I
)
# What an HTML element loads (an <a href> is a link to follow, not something loaded).
_LOADS = {
    "link": "href",
    "script": "src",
    "img": "src",
    "iframe": "src",
    "source": "src",
    "video": "src",
    "audio": "src",
    "embed": "src",
    "object": "data",
}


class _Loads(HTMLParser):
    """Collects what a page loads: (tag, attribute value), and its inline CSS."""

    def __init__(self) -> None:
        super().__init__()
        self.loads: list[tuple[str, str]] = []
        self.css: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        if tag in _LOADS and _LOADS[tag] in values:
            self.loads.append((tag, values[_LOADS[tag]]))
        if tag == "img" and "srcset" in values:
            self.loads.append((tag, values["srcset"]))
        if "style" in values:
            self.css.append(values["style"])
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self.css.append(data)


def external_loads(site: Path) -> list[str]:
    """Everything a built page, or a file it references, would fetch from elsewhere."""
    found: list[str] = []
    referenced: set[Path] = set()
    for page in sorted(site.rglob("*.html")):
        parser = _Loads()
        parser.feed(page.read_text(encoding="utf-8"))
        for tag, url in parser.loads:
            if re.match(_REMOTE, url.strip(), re.I):
                found.append(f"{page.relative_to(site)}: <{tag}> {url}")
            elif not re.match(r"[a-z]+:", url):
                target = (page.parent / url.split("#")[0].split("?")[0]).resolve()
                if target.is_file():
                    referenced.add(target)
        for css in parser.css:
            found += [f"{page.relative_to(site)}: {m}" for m in _CSS_REMOTE.findall(css)]
    for file in sorted(referenced):
        text = file.read_text(encoding="utf-8", errors="replace")
        pattern = _SVG_REMOTE if file.suffix == ".svg" else _CSS_REMOTE
        found += [f"{file.relative_to(site)}: {m}" for m in pattern.findall(text)]
    return found


def test_no_page_loads_anything_from_elsewhere(build: Build) -> None:
    assert build.result.returncode == 0
    assert external_loads(build.site) == []
    # ...and the check sees the site's own CSS and JS, where remote fonts would be named.
    css = list((build.site / "_static").rglob("*.css"))
    assert css and list((build.site / "_static").rglob("*.js"))


def test_the_external_loads_check_finds_what_it_looks_for(tmp_path: Path) -> None:
    (tmp_path / "style.css").write_text("a { background: url('https://x.org/a.png') }")
    (tmp_path / "pic.svg").write_text('<svg><image href="//x.org/b.png"/></svg>')
    (tmp_path / "index.html").write_text(
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">'
        '<script src="//unpkg.com/shim"></script><link rel="stylesheet" href="style.css">'
        '<img src="pic.svg"><style>@import "https://x.org/c.css";</style>'
        '<a href="https://github.com/karpathy/micrograd">a link is fine</a>'
    )
    found = "\n".join(external_loads(tmp_path))
    for url in ("fonts.googleapis.com", "unpkg.com", "x.org/a.png", "x.org/b.png", "c.css"):
        assert url in found
    assert "karpathy" not in found


def test_the_config_fetches_nothing(build: Build) -> None:
    """intersphinx would fetch inventories at build time, and a page with math loads MathJax
    from a CDN when read: the config uses neither (the static check above sees the pages, the
    browser test below what their scripts run into)."""
    assert build.result.returncode == 0
    config = runpy.run_path(str(DOCS / "conf.py"))
    assert not [name for name in config["extensions"] if "intersphinx" in name]
    for page in build.site.rglob("*.html"):
        assert "mathjax" not in page.read_text(encoding="utf-8").lower(), page


#: Pages opened in Chromium: the home page, a guide page with code, the API reference.
_OPENED = ("index.html", "guide/engine.html", "api/*.html")


def _requests_leaving(browser, pages: list[Path]) -> list[str]:  # type: ignore[no-untyped-def]
    """Opens the pages from file:// in Chromium, side by side, and waits until each has
    made no request for half a second (its scripts ran): what they request that is not
    file:, data: or blob:, and any error they log (tests/browser.py's watch)."""
    from tests.browser import watch

    context = browser.new_context()
    try:
        opened = []
        for path in pages:
            pg = context.new_page()
            opened.append((path, pg, watch(pg)))
            pg.goto(path.as_uri(), wait_until="commit")
        found: list[str] = []
        for path, pg, problems in opened:
            pg.wait_for_load_state("networkidle")
            found += [f"{path.name}: {problem}" for problem in problems]
        return found
    finally:
        context.close()


def test_no_page_requests_anything_from_elsewhere_in_a_browser(build: Build, browser) -> None:  # type: ignore[no-untyped-def]
    assert build.result.returncode == 0
    pages = sorted({p for pattern in _OPENED for p in build.site.glob(pattern)})
    assert len(pages) >= 7, pages
    assert _requests_leaving(browser, pages) == []


def test_the_browser_check_sees_what_a_page_loads(build: Build, browser, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    """A page of the site with a script from a CDN: the browser check reports the request
    (the machine needs no network for that)."""
    assert build.result.returncode == 0
    site = tmp_path / "site"
    shutil.copytree(build.site, site, ignore=shutil.ignore_patterns("api", ".doctrees"))
    page = site / "guide" / "engine.html"
    text = page.read_text(encoding="utf-8")
    probe = '<script src="https://unpkg.com/mermaid@11/dist/mermaid.min.js"></script>'
    page.write_text(text.replace("</head>", probe + "</head>", 1), encoding="utf-8")
    found = "\n".join(_requests_leaving(browser, [page]))
    assert "network request: https://unpkg.com/mermaid@" in found, found


def test_the_search_works_from_disk(build: Build, browser) -> None:  # type: ignore[no-untyped-def]
    """Sphinx's search index is a script beside the pages: searching needs no server."""
    assert build.result.returncode == 0
    page = browser.new_page()
    try:
        page.goto((build.site / "search.html").as_uri() + "?q=backward")
        page.wait_for_selector("#search-results li", timeout=20_000)
        results = page.locator("#search-results li").all_inner_texts()
    finally:
        page.close()
    assert any("autograd.Value.backward" in result for result in results), results


# --------------------------------------------------------------------------------------------
# The API reference: every public name, with its docstring
# --------------------------------------------------------------------------------------------


def _words(text: str) -> list[str]:
    return re.findall(r"\w+", text)


def _summary_words(doc: str) -> list[str]:
    """The words of a docstring's first line as a reader sees them: a role's target shows
    as written, or its last part after ``~``; markup characters are not words."""
    line = doc.strip().splitlines()[0]
    line = re.sub(r":[a-z]+:`~(?:[\w.]*\.)?(\w+)`", r"\1", line)
    line = re.sub(r":[a-z]+:`([^`]*)`", r"\1", line)
    return _words(line)


def _comment_docs(source: str) -> dict[str, str]:
    """The module-level names documented by Sphinx's ``#:`` comments above them."""
    found = re.findall(r"((?:^#:.*\n)+)(\w+)\s*[:=]", source, re.M)
    return {name: re.sub(r"(?m)^#: ?", "", comment) for comment, name in found}


def _text_words(html_text: str) -> str:
    """The words a reader sees in some HTML, space-separated and space-framed."""
    return " " + " ".join(_words(html.unescape(re.sub(r"<[^>]+>", " ", html_text)))) + " "


def _page_words(page: Path) -> str:
    return _text_words(page.read_text(encoding="utf-8"))


@pytest.mark.parametrize(
    ("package", "page", "modules_page"),
    [
        ("autograd", "api/autograd.html", "api/autograd-modules.html"),
        ("nn", "api/nn.html", "api/nn-modules.html"),
    ],
)
def test_the_reference_documents_every_public_name_with_its_docstring(
    build: Build, package: str, page: str, modules_page: str
) -> None:
    assert build.result.returncode == 0
    module = importlib.import_module(package)
    html_text = (build.site / page).read_text(encoding="utf-8")
    words = _page_words(build.site / page)
    for name in module.__all__:
        obj = getattr(module, name)
        assert f'id="{package}.{name}"' in html_text, name
        doc = inspect.getdoc(obj)
        assert doc, f"{package}.{name} has no docstring"
        summary = " ".join(_summary_words(doc))
        assert f" {summary} " in words, f"{package}.{name}: {summary!r} not on {page}"
    # A submodule's public extras (in its __all__, not the package's) are on the modules page;
    # a constant documented by a Sphinx "#:" comment in the source shows that comment.
    extras_page = (build.site / modules_page).read_text(encoding="utf-8")
    submodules = [m.name for m in pkgutil.iter_modules(module.__path__)]
    assert "lab" in submodules or package != "nn"  # subpackages too
    for sub in submodules:
        if sub.startswith("_") or sub in ("extend", "viz"):  # their own pages, below
            continue
        mod = importlib.import_module(f"{package}.{sub}")
        comments = _comment_docs(inspect.getsource(mod))
        for name in set(getattr(mod, "__all__", ())) - set(module.__all__):
            # At this module, or at the one that defines it (nn.train's LOSSES is nn.metrics').
            obj = getattr(mod, name)
            where = [sub] + [other for other in submodules if _defines(package, other, name, obj)]
            identifier = next(
                (
                    f"{package}.{m}.{name}"
                    for m in where
                    if f'id="{package}.{m}.{name}"' in extras_page
                ),
                f"{package}.{sub}.{name}",
            )
            assert f'id="{identifier}"' in extras_page, identifier
            if name in comments:
                summary = " ".join(_summary_words(comments[name]))
                entry = _text_words(_section(extras_page, identifier))
                assert f" {summary} " in entry, f"{identifier}: {summary!r}"
    for namespace, own_page in (("autograd.extend", "extend"), ("autograd.viz", "viz")):
        exporter = importlib.import_module(namespace)
        exporter_page = (build.site / f"api/{own_page}.html").read_text(encoding="utf-8")
        for name in exporter.__all__:
            assert f'id="{namespace}.{name}"' in exporter_page, name
            # Its entry says what it is: a type alias (Grad) or a table (OPS) has no docstring
            # of its own at run time, only the one written after it in the source.
            entry = _section(exporter_page, f"{namespace}.{name}")
            contents = entry.partition("</dt>")[2]
            assert _words(html.unescape(re.sub(r"<[^>]+>", " ", contents))), f"{name}: no text"
            doc = _runtime_doc(exporter, name)
            if doc is not None:
                summary = " ".join(_summary_words(doc))
                assert f" {summary} " in _text_words(entry), f"{namespace}.{name}: {summary!r}"


def _defines(package: str, sub: str, name: str, obj: object) -> bool:
    """Whether ``package.sub`` holds ``obj`` as ``name`` (it defines or imports it)."""
    if sub.startswith("_"):
        return False
    module = importlib.import_module(f"{package}.{sub}")
    return getattr(module, name, None) is obj


def _section(html_text: str, identifier: str) -> str:
    """The HTML of one entry: from its signature (``<dt id=...>``) to the next entry's, or
    the end of the page's text; a class's holds its docstring, not its members'."""
    start = html_text.index(f'id="{identifier}"')
    after = re.compile(r"<dt [^>]*\bid=|</article>").search(html_text, start + 1)
    return html_text[start : after.start() if after else len(html_text)]


def _kind(html_text: str, identifier: str) -> str:
    """What an entry is, as Sphinx's Python domain says: ``method``, ``attribute``..."""
    start = html_text.index(f'id="{identifier}"')
    return re.findall(r'<dl class="py (\w+)">', html_text[:start])[-1]


def _runtime_doc(owner: object, name: str) -> str | None:
    """The docstring a member of a class or module carries at run time, if its own (not its
    type's): a method's, a property's, or that of an object made at run time (``Value.exp``)."""
    value = getattr(owner, name, None)
    doc = getattr(value, "__doc__", None)
    if not isinstance(doc, str) or not doc.strip() or doc == type(value).__doc__:
        return None
    return inspect.cleandoc(doc)


@pytest.mark.parametrize(
    ("package", "page"), [("autograd", "api/autograd.html"), ("nn", "api/nn.html")]
)
def test_every_class_members_runtime_docstring_is_on_its_entry(
    build: Build, package: str, page: str
) -> None:
    """A documented member of a public class (``Value.exp``, ``MLP.forward``) shows the first
    line of the docstring it has at run time, in its own entry (``autograd.exp`` says the
    same words elsewhere on the page)."""
    assert build.result.returncode == 0
    module = importlib.import_module(package)
    html_text = (build.site / page).read_text(encoding="utf-8")
    checked = []
    for cls_name, cls in _exported_classes(module):
        for name in re.findall(rf'id="{package}\.{cls_name}\.(\w+)"', html_text):
            doc = _runtime_doc(cls, name)
            if doc is None:
                continue
            section = _section(html_text, f"{package}.{cls_name}.{name}")
            summary = " ".join(_summary_words(doc))
            assert f" {summary} " in _text_words(section), f"{package}.{cls_name}.{name}"
            checked.append(f"{cls_name}.{name}")
    assert len(checked) > 10, checked
    if package == "autograd":
        assert {"Value.exp", "Value.tanh", "Value.backward"} <= set(checked)
        # The methods made from the table's rows are methods, with their signature.
        # ...as are those the class body assigns by unpacking, in the order of the source.
        order = re.findall(r'id="autograd\.Value\.(\w+)"', html_text)
        assert order.index("__add__") < order.index("__neg__") < order.index("exp"), order
        for name in ("exp", "relu", "__neg__", "__add__", "__rtruediv__"):
            entry = _section(html_text, f"autograd.Value.{name}")
            assert _kind(html_text, f"autograd.Value.{name}") == "method", name
            signature = html.unescape(re.sub(r"<[^>]+>", "", entry))
            assert re.search(rf"{name}\(\s*(other: [^)]+)?\)\s*→\s*Value", signature), signature


def test_roles_in_docstrings_became_links(build: Build) -> None:
    assert build.result.returncode == 0
    pages = [p.read_text(encoding="utf-8") for p in (build.site / "api").glob("*.html")]
    for text in pages:
        assert not re.search(r":(func|meth|class|data|mod|attr|exc|obj):", text)
        assert "py:module::" not in text  # no autodoc output read as Markdown
    # autograd.functional's docstring: ":func:`gradients` is PyTorch's" links to autograd.gradients.
    modules = (build.site / "api/autograd-modules.html").read_text(encoding="utf-8")
    link = re.search(r'<a [^>]*href="autograd\.html#autograd\.gradients"[^>]*>(.*?)</a>', modules)
    assert link and "gradients()" in html.unescape(re.sub(r"<[^>]+>", "", link[1]))


def _exported_classes(module: object) -> list[tuple[str, type]]:
    """The classes a package exports (its ``__all__``), with their exported names."""
    exported = ((name, getattr(module, name)) for name in module.__all__)  # type: ignore[attr-defined]
    return [(name, obj) for name, obj in exported if inspect.isclass(obj)]


def _public_attributes(cls: type) -> set[str]:
    """A class's public data: its slots, its dataclass fields, its annotated class attributes."""
    names: set[str] = set()
    for klass in cls.__mro__:
        slots = klass.__dict__.get("__slots__", ())
        names |= {slots} if isinstance(slots, str) else set(slots)
        names |= set(inspect.get_annotations(klass))
    if dataclasses.is_dataclass(cls):
        names |= {field.name for field in dataclasses.fields(cls)}
    return {name for name in names if not name.startswith("_")}


@pytest.mark.parametrize(
    ("package", "page"), [("autograd", "api/autograd.html"), ("nn", "api/nn.html")]
)
def test_every_public_attribute_has_an_entry_with_text(
    build: Build, package: str, page: str
) -> None:
    """``Value.data``, ``Value.grad``, a dataclass's fields: each has an entry saying what it
    holds (a slot's docstring is the value of ``__slots__`` as a dict; a field's, the string
    or ``#:`` comment beside it). autodoc leaves out what has no text, so a missing entry is
    a missing docstring."""
    assert build.result.returncode == 0
    module = importlib.import_module(package)
    html_text = (build.site / page).read_text(encoding="utf-8")
    missing = []
    for _, cls in _exported_classes(module):
        # An inherited attribute is documented once, by the exported class that defines it
        # (AdamW's beta1 is Adam's entry; AdamW's page says "Bases: Adam").
        owners = [k.__name__ for k in cls.__mro__ if k.__name__ in module.__all__]
        for name in sorted(_public_attributes(cls)):
            entries = [f"{package}.{owner}.{name}" for owner in owners]
            if not any(_has_text(html_text, identifier) for identifier in entries):
                missing.append(entries[0])
    assert missing == []


def _has_text(html_text: str, identifier: str) -> bool:
    if f'id="{identifier}"' not in html_text:
        return False
    text = _section(html_text, identifier).partition("</dt>")[2]
    return bool(_words(html.unescape(re.sub(r"<[^>]+>", " ", text))))


def test_every_entry_of_the_reference_has_text(build: Build) -> None:
    """No entry is a bare signature: each says something under it (what has no docstring is
    left out, see above)."""
    assert build.result.returncode == 0
    empty, entries = [], 0
    for page in sorted((build.site / "api").glob("*.html")):
        text = page.read_text(encoding="utf-8")
        for identifier in re.findall(r'<dt [^>]*\bid="([^"]+)"', text):
            entries += 1
            body = _section(text, identifier).partition("</dt>")[2]
            if not _words(html.unescape(re.sub(r"<[^>]+>", " ", body))):
                empty.append(f"{page.name}: {identifier}")
    assert entries > 300 and empty == []


# --------------------------------------------------------------------------------------------
# A broken reference, in a docstring or a page, fails the build
# --------------------------------------------------------------------------------------------


def _tiny_site(root: Path, docstring: str, page: str = "") -> Path:
    """A package with one function whose docstring is given, and a site documenting it with
    the site's own configuration (docs/conf.py); ``page`` is added to its index page."""
    (root / "tinypkg").mkdir()
    (root / "tinypkg" / "__init__.py").write_text(
        textwrap.dedent(f'''
        """A tiny package."""

        __all__ = ["helper", "entry"]


        def helper() -> None:
            """Helps."""


        def entry() -> None:
            """{docstring}"""
        ''')
    )
    (root / "docs").mkdir()
    (root / "docs" / "index.md").write_text(
        f"# tiny\n\n{page}\n\n```{{eval-rst}}\n.. automodule:: tinypkg\n```\n"
    )
    # The site's conf.py, run as this folder's: it puts this folder's parent on sys.path.
    (root / "docs" / "conf.py").write_text(
        f"__file__ = {str(root / 'docs' / 'conf.py')!r}\n"
        f"exec(compile(open({str(DOCS / 'conf.py')!r}).read(), __file__, 'exec'))\n"
    )
    return root / "docs"


@pytest.mark.parametrize(
    ("docstring", "page", "fails"),
    [
        ("Calls :func:`helper` first.", "", ""),
        ("Calls :func:`helpr` first.", "", "py:func reference target not found: helpr"),
        ("Calls :fucn:`helper` first.", "", 'Unknown interpreted text role "fucn"'),
        ("Calls :func:`helper` first.", "See [install](install.md).", "install.md"),
    ],
    ids=["resolves", "a-missing-name", "a-misspelled-role", "a-missing-page"],
)
def test_a_reference_to_nothing_fails_the_build(
    tmp_path: Path, docstring: str, page: str, fails: str
) -> None:
    source = _tiny_site(tmp_path, docstring, page)
    result = _sphinx(source, tmp_path / "site")
    log = result.stdout + result.stderr
    if fails:
        assert result.returncode != 0, log
        assert fails in log
    else:
        assert result.returncode == 0, log
        index = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
        link = re.search(
            r'<a class="reference internal" href="#tinypkg\.helper"[^>]*>(.*?)</a>', index
        )
        assert link and "helper()" in html.unescape(re.sub(r"<[^>]+>", "", link[1]))


# --------------------------------------------------------------------------------------------
# The README: its examples print what they say; every relative link resolves
# --------------------------------------------------------------------------------------------


def _matches(expected: str, actual: str) -> bool:
    """doctest's ELLIPSIS: '...' in expected stands for any text."""
    pattern = ".*".join(re.escape(part) for part in expected.split("..."))
    return re.fullmatch(pattern, actual) is not None


def _readme_examples(needs_torch: bool) -> list[str]:
    """The README's python blocks: those that import torch, or the others."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", readme, re.S)
    return [b for b in blocks if bool(re.search(r"^import torch$", b, re.M)) == needs_torch]


@pytest.mark.parametrize("needs_torch", [False, True], ids=["engine", "torch"])
def test_the_readmes_examples_print_what_their_comments_say(needs_torch: bool) -> None:
    blocks = _readme_examples(needs_torch)
    assert len(blocks) >= (1 if needs_torch else 2)
    if needs_torch:
        pytest.importorskip("torch")
    for block in blocks:
        assert _check_block(block, ROOT / "README.md", {"__name__": "readme"}) > 0, block


def _check_block(block: str, page: Path, namespace: dict[str, object]) -> int:
    """Run one Python block of ``page`` in ``namespace`` and check that it printed a line per
    ``print(...)  # claim`` line, each matching its claim; the number of claims."""
    claims = re.findall(r"^print\(.*\)  # (.*)$", block, re.M)
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(block, str(page), "exec"), namespace)
    printed = out.getvalue().splitlines()
    assert len(printed) == len(claims), (claims, printed)
    for claim, line in zip(claims, printed):
        assert _matches(claim, line), (claim, line)
    return len(claims)


def test_the_live_lab_guides_examples_print_what_their_comments_say() -> None:
    """docs/guide/live-lab.md's Python blocks, run in order in one namespace (each goes on
    from the one before, as a notebook's cells do; no front end: the widget works without
    one): each prints what its comments say, and no training thread is left behind."""
    page = DOCS / "guide" / "live-lab.md"
    blocks = re.findall(r"```python\n(.*?)```", page.read_text(encoding="utf-8"), re.S)
    namespace: dict[str, object] = {"__name__": "guide"}
    claimed = 0
    try:
        for block in blocks:
            claimed += _check_block(block, page, namespace)
    finally:
        for lab in ("lab", "mine"):  # a failed block must not leave a thread training
            if hasattr(namespace.get(lab), "close"):
                namespace[lab].close()  # type: ignore[attr-defined]
    assert len(blocks) >= 5 and claimed >= 10
    assert [t.name for t in threading.enumerate() if t.name == "LiveLab"] == []


def _relative_links(page: Path) -> list[str]:
    text = re.sub(r"```.*?```", "", page.read_text(encoding="utf-8"), flags=re.S)
    text = re.sub(r"`[^`\n]*`", "", text)
    links = re.findall(r"\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)", text)
    links += re.findall(r"""<(?:img|a)\b[^>]*?(?:src|href)=["']([^"']+)""", text)
    return [link for link in links if not re.match(r"[a-z][a-z0-9+.-]*:|#|//", link, re.I)]


def test_every_relative_link_in_the_readme_and_the_docs_points_at_a_file() -> None:
    pages = [ROOT / "README.md", *sorted(DOCS.rglob("*.md"))]
    broken = []
    checked = 0
    for page in pages:
        for link in _relative_links(page):
            target = (page.parent / link.split("#")[0]).resolve()
            checked += 1
            if not target.exists():
                broken.append(f"{page.relative_to(ROOT)}: {link}")
    assert checked > 40 and broken == []


def _svg_text(svg: str) -> list[str]:
    """What a picture says, whatever the layout: its <text> elements in order."""
    return [html.unescape(t) for t in re.findall(r"<text\b[^>]*>([^<]*)</text>", svg)]


def test_the_committed_pictures_show_what_make_example_draws_today(tmp_path: Path) -> None:
    """docs/assets/neuron*.svg are committed (the docs build needs no Graphviz): their
    labels, numbers and legend must be what docs/make_example.py draws with today's code."""
    done = subprocess.run(
        [sys.executable, str(DOCS / "make_example.py"), "--out", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    for name in ("neuron.svg", "neuron_step.svg"):
        committed = (DOCS / "assets" / name).read_text(encoding="utf-8")
        fresh = (tmp_path / name).read_text(encoding="utf-8")
        assert _svg_text(committed) == _svg_text(fresh), name
        assert len(_svg_text(fresh)) > 20
