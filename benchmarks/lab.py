"""Measure the lab page: its size and how long headless Chromium takes to open it.

    python benchmarks/lab.py [PAGE.html ...] [--repeats 5]

Without a page, measures ``out/lab.html`` (run ``make demo`` first). Load time is from
navigation start until the page has decoded its data and drawn the first frame (the lab
marks itself ``data-ready``), the median over fresh pages; it uses Debian's ``chromium``
through Playwright (``pip install playwright``; no browser download). Also prints how the
size splits into the page's parts, to check the size formula in nn/lab/__init__.py.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests.browser import ARGS, CHROMIUM  # the flags the page tests use


def parts(page: Path) -> dict[str, int]:
    """Bytes of the page's data by part (uncompressed JSON), and the page's total."""
    text = page.read_text(encoding="utf-8")
    payload = re.search(r"<script [^>]*data-vg-payload>([^<]*)</script>", text)[1]
    data = json.loads(gzip.decompress(base64.b64decode(json.loads(payload)["gzip"])))
    frames = data["frames"]
    samples = [s for f in frames for s in f["samples"]]
    return {
        "page bytes": len(text.encode("utf-8")),
        "compressed data (base64)": len(payload),
        "frames": len(frames),
        "pickable points": len(data["pickable"]),
        "graph nodes": len(samples[0]["v"]),
        "JSON of one point at one step (values)": len(
            json.dumps(samples[0], separators=(",", ":"))
        ),
        "JSON of one point at one step (chain-rule texts)": sum(
            len(json.dumps(step[0])) for step in data["texts"]
        ),
        "JSON of one boundary grid": len(frames[0]["grid"]),
        "JSON of the layouts (SVG)": len(json.dumps(data["layouts"])),
    }


def load_seconds(page: Path, repeats: int) -> list[float]:
    from playwright.sync_api import sync_playwright

    if CHROMIUM is None:
        raise SystemExit("benchmarks/lab.py needs Chromium: apt-get install chromium")
    times = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for _ in range(repeats):
            tab = browser.new_page()
            start = time.perf_counter()
            tab.goto(page.resolve().as_uri())
            tab.wait_for_selector(".vg-lab[data-ready]", timeout=30_000)
            times.append(time.perf_counter() - start)
            tab.close()
        browser.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", default=["out/lab.html"])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    for name in args.pages:
        page = Path(name)
        print(page)
        for key, value in parts(page).items():
            print(f"  {key}: {value:,}")
        times = load_seconds(page, args.repeats)
        print(
            f"  load in headless Chromium: median {statistics.median(times):.2f} s, "
            f"max {max(times):.2f} s over {len(times)} loads"
        )


if __name__ == "__main__":
    main()
