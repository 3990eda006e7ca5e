"""The headless Chromium that the page tests (and ``benchmarks/lab.py``) drive with Playwright.

Debian's ``chromium`` (no browser is downloaded; ``.ci/run`` installs it). The flags keep it
off the network: this machine has none, and without them Chromium tries its own services at
every start.
"""

from __future__ import annotations

import os
import shutil

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
