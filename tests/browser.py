"""The headless Chromium that the page tests (and ``benchmarks/lab.py``) drive with Playwright.

Debian's ``chromium`` (no browser is downloaded; ``.ci/run`` installs it). The flags keep it
off the network: this machine has none, and without them Chromium tries its own services at
every start.
"""

from __future__ import annotations

import os
import shutil
from typing import Any

#: The browser's path, or None where it is not installed.
CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
)
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def watch(page: Any) -> list[str]:
    """Collect what must not happen on a self-contained page: console errors and warnings,
    uncaught errors, and any request that leaves the page (not file:, data: or blob:)."""
    problems: list[str] = []
    page.on("console", lambda m: m.type in ("error", "warning") and problems.append(m.text))
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on(
        "request",
        lambda r: (
            r.url.startswith(("file:", "data:", "blob:"))
            or problems.append(f"network request: {r.url}")
        ),
    )
    return problems
