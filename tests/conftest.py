"""Hypothesis profiles: ``ci`` (default, bounded) and ``fuzz`` (long, on demand).

Select one with the environment variable HYPOTHESIS_PROFILE, e.g. ``make fuzz``. Tests that
fix their own ``max_examples`` keep it; the fuzz tests (tests/test_fuzz.py) follow the profile.
"""

from __future__ import annotations

import os

import pytest
from hypothesis import HealthCheck, settings

from tests.browser import ARGS, CHROMIUM

settings.register_profile("ci", max_examples=60, deadline=None)
settings.register_profile(
    "fuzz",
    max_examples=3000,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


# CI sets VALUEGRAD_NO_SKIPS=1: there every oracle and tool is installed (PyTorch, Graphviz,
# Chromium, the WebAssembly renderer), so a skipped test means an install step broke, and the
# run fails instead of passing green with a gap.
_skipped: list[str] = []


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.skipped:
        _skipped.append(report.nodeid)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if os.environ.get("VALUEGRAD_NO_SKIPS") and _skipped:
        terminalreporter.write_line(
            f"VALUEGRAD_NO_SKIPS is set but {len(_skipped)} tests were skipped (an oracle or "
            "tool is missing): " + ", ".join(_skipped[:10]),
            red=True,
        )


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    if os.environ.get("VALUEGRAD_NO_SKIPS") and _skipped and exitstatus == 0:
        session.exitstatus = 1


@pytest.fixture(scope="module")
def browser():  # type: ignore[no-untyped-def]
    """Headless Chromium (tests/browser.py), one per test module; skipped where none is.

    Per module, not per session: Playwright's sync API runs an event loop in this thread
    while the browser is open, and ``asyncio.run`` in other tests refuses to start beside it.
    """
    if CHROMIUM is None:
        pytest.skip("Chromium is not installed (apt-get install chromium; .ci/run installs it)")
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()
