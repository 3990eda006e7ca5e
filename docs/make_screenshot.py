"""Write docs/assets/lab.png, the README's and the docs' picture of the lab: `make demo`'s
page at recorded frame 9 of 40 (training step 21 of 100, as the page counts), point 40's
graph at backward step 7.

    python docs/make_screenshot.py [--out FOLDER]

It trains micrograd's demo with the command line (`python -m nn`, so the page is the one
`make demo` writes), then drives Debian's Chromium with Playwright (the `test` extra) and
saves the full page, 1280 pixels wide. It prints the readouts it photographed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ASSETS = Path(__file__).resolve().parent / "assets"
FRAME = 8  # 0-based: recorded frame 9 of 40, training step 20
BACKWARD_STEPS = 7


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ASSETS, help="folder for lab.png")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            [sys.executable, "-m", "nn", "--out", tmp, "--no-progress"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 1302})
            page.goto(Path(tmp, "lab.html").as_uri())
            page.locator(".vg-scrub").fill(str(FRAME))
            for _ in range(BACKWARD_STEPS):
                page.locator("[data-action=backward-step]").click()
            for name in ("step", "backward", "loss"):
                print(page.locator(f"[data-readout={name}]").inner_text())
            page.screenshot(path=str(args.out / "lab.png"), full_page=True)
            browser.close()
    print(f"wrote {args.out / 'lab.png'}")


if __name__ == "__main__":
    main()
