"""Measure the live lab in a real JupyterLab: frames drawn and steps trained per second while
playing, and the latency from a weight change to the redrawn frame.

    python benchmarks/live_lab.py                          # about a minute
    python benchmarks/live_lab.py --seconds 3 --repeats 3  # a quick look
    python benchmarks/live_lab.py --front-end notebook     # in Notebook 7 instead

It starts a Jupyter server on localhost (tests/jupyter.py: this interpreter's JupyterLab and
kernel, nothing from the network), opens a notebook whose cell is ``nn.LiveLab()`` (the
default: a 2-16-16-1 MLP on 80 training points of moons, a 20 x 20 boundary) in Debian's
headless Chromium through Playwright, runs it, and measures:

* **while playing** (after a few frames of warm-up, over ``--seconds``): frames drawn per
  second, from the lab root's ``data-frames-drawn`` and the page's clock read together;
  training steps per second, from ``len(lab.history)`` read in the notebook's kernel (a
  second client of it) and this process's clock;
* **latency**, ``--repeats`` times each, paused and while playing: a weight (``L1.n0.w1``,
  an edge clicked in the network panel) is set by its slider (the ``input`` event a drag
  sends, with a new value each time); the page's own ``data-latency-ms`` (from the change
  sent to the first frame drawn that has it: the boundary, the heat maps and the graph
  recomputed by the kernel), and the same seen from Playwright (from the call that moves the
  slider to the attribute's appearance, polled every animation frame);

each as the median and range. Also the machine: cores and the load average at the start
(the machine has 2 cores; other work on it shows up in every number here).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from typing import Any

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from tests import jupyter  # the server, the page and the kernel's truth
from tests.browser import ARGS, CHROMIUM  # the flags the page tests use

#: The notebook's cell: the default live lab, shown.
CELL = "import nn\nlab = nn.LiveLab()\nlab"
#: The weight the latency runs set, and the edge that selects it.
WEIGHT = "L1.n0.w1"
#: Moves the weight's slider to a value and sends its ``input`` event, as a drag does; the
#: value it took (the slider keeps to its steps of 0.01).
SLIDE = """(value) => {
  const root = document.querySelector(".vg-live"), slider = root.querySelector(".vg-live-slider");
  root.removeAttribute("data-latency-ms");
  slider.value = String(value);
  slider.dispatchEvent(new Event("input", { bubbles: true }));
  return slider.value;
}"""


def drawn(page: Any) -> tuple[float, int]:
    """The page's clock (ms) and its frames drawn so far, read together."""
    now, frames = page.evaluate(
        "() => [performance.now(), +document.querySelector('.vg-live')"
        ".getAttribute('data-frames-drawn')]"
    )
    return float(now), int(frames)


def playing(page: Any, kernel: jupyter.Kernel, seconds: float) -> tuple[float, float]:
    """Frames drawn and steps trained per second over ``seconds`` of playing."""
    page.click("[data-action=play]")
    page.wait_for_selector("[data-action=play]:has-text('pause')")
    _, first = drawn(page)
    page.wait_for_function(  # warm-up: a few frames into the run
        "(n) => +document.querySelector('.vg-live').getAttribute('data-frames-drawn') >= n",
        arg=first + 3,
    )
    t0, steps0 = time.perf_counter(), kernel.evaluate("len(lab.history)")
    p0, frames0 = drawn(page)
    page.wait_for_timeout(seconds * 1000)
    p1, frames1 = drawn(page)
    t1, steps1 = time.perf_counter(), kernel.evaluate("len(lab.history)")
    return (frames1 - frames0) / ((p1 - p0) / 1000), (steps1 - steps0) / (t1 - t0)


def latencies(
    page: Any, kernel: jupyter.Kernel, repeats: int, paused: bool
) -> tuple[list[float], list[float]]:
    """``repeats`` weight changes by the slider: the page's data-latency-ms for each, and the
    milliseconds Playwright saw from moving the slider to that attribute's appearance.
    ``paused``: check that the kernel's weight is each value set (playing moves it on)."""
    start = float(kernel.evaluate("lab.model.layers[0].neurons[0].w[1].data"))
    page_ms, seen_ms = [], []
    for i in range(repeats):
        value = round(start + 0.01 * (i + 1) * (-1) ** i, 2)
        t0 = time.perf_counter()
        sent = float(page.evaluate(SLIDE, value))
        page.wait_for_selector(".vg-live[data-latency-ms]", state="attached")
        seen_ms.append(1000 * (time.perf_counter() - t0))
        page_ms.append(float(jupyter.root_attribute(page, "data-latency-ms")))
        set_to = kernel.evaluate("lab.model.layers[0].neurons[0].w[1].data")
        if paused and set_to != sent:
            raise SystemExit(f"the slider sent {sent!r} but {WEIGHT} is {set_to!r}")
    return page_ms, seen_ms


def spread(values: list[float], unit: str) -> str:
    """The median and the range of ``values``."""
    return (
        f"median {statistics.median(values):.1f} {unit} "
        f"(range {min(values):.1f} to {max(values):.1f}, {len(values)} runs)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="of playing, measured")
    parser.add_argument("--repeats", type=int, default=10, help="weight changes, each way")
    parser.add_argument("--front-end", choices=["lab", "notebook"], default="lab")
    args = parser.parse_args()
    if CHROMIUM is None:
        raise SystemExit("benchmarks/live_lab.py needs Chromium: apt-get install chromium")
    from playwright.sync_api import sync_playwright

    load = os.getloadavg()
    print(
        f"machine: {platform.platform()}, {os.cpu_count()} cores, Python {sys.version.split()[0]}"
    )
    print(f"load average at the start: {load[0]:.2f} {load[1]:.2f} {load[2]:.2f} (1, 5, 15 min)")
    with jupyter.running() as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        server.write_notebook("live_lab.ipynb", [CELL])
        opened = jupyter.open_notebook(browser, server, "live_lab.ipynb", args.front_end)
        page, kernel = opened.page, server.kernel("live_lab.ipynb")
        jupyter.run_all(page)
        jupyter.wait_for_widget(page)
        run = kernel.evaluate("lab.setup['run'] + ', ' + lab.history.method")
        print(f"{args.front_end} in headless Chromium {browser.version}: {run}")

        fps, sps = playing(page, kernel, args.seconds)
        print(f"playing, over {args.seconds:g} s: {fps:.1f} frames drawn/s, {sps:.1f} steps/s")
        page.click("[data-action=play]")  # pause
        jupyter.wait_until(lambda: not kernel.evaluate("lab.running"), "the lab to pause")

        jupyter.click_on_top(page, f"[data-weight='{WEIGHT}']")
        page.wait_for_selector(f"[data-control=weight][data-weight-name='{WEIGHT}']")
        page_ms, seen_ms = latencies(page, kernel, args.repeats, paused=True)
        print(f"weight change -> frame drawn, paused ({WEIGHT} by its slider):")
        print(f"  the page's data-latency-ms: {spread(page_ms, 'ms')}")
        print(f"  seen from Playwright:       {spread(seen_ms, 'ms')}")
        page.click("[data-action=play]")
        page.wait_for_selector("[data-action=play]:has-text('pause')")
        page_ms, seen_ms = latencies(page, kernel, args.repeats, paused=False)
        print("weight change -> frame drawn, while playing:")
        print(f"  the page's data-latency-ms: {spread(page_ms, 'ms')}")
        print(f"  seen from Playwright:       {spread(seen_ms, 'ms')}")
        page.click("[data-action=play]")
        jupyter.wait_until(lambda: not kernel.evaluate("lab.running"), "the lab to pause")
        if opened.errors:  # the first line of each: what it was
            print("the page reported:", *[e.split("\n")[0] for e in opened.errors], sep="\n  ")
        kernel.close()
        browser.close()


if __name__ == "__main__":
    main()
