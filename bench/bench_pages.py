"""Page speed in a real headless Chromium against ``streamlit run app.py`` on 127.0.0.1.

- Architectures (issue 4): from choosing an architecture in the select box to the page having
  re-rendered with its total, for every zoo entry. Target: under 1 s each.
- Training (issue 7): from the Start click to the first loss point drawn. Target: under 5 s.
"""

from __future__ import annotations

import re
import statistics
import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from tests.live_app import (
    CHROMIUM_FLAGS,
    StreamlitPage,
    find_chromium,
    live_view,
    start_server,
    stop_server,
    wait_for_loss_points,
)

REPEATS = 3


def _option(page, arch_id: str):
    """Open the select box and type: the option to click, once the choice is made."""
    page.locator('[data-testid="stSelectbox"]').first.click()
    page.keyboard.type(arch_id)
    return page.get_by_role("option", name=re.compile(rf"\({re.escape(arch_id)}\)$"))


def _architectures(app: StreamlitPage) -> dict:
    from cnnviz.analysis import analyze_architecture
    from cnnviz.zoo import list_architectures

    page = app.open("/architectures?arch=lenet5")
    timings = {}
    for arch in list_architectures():
        total = f"{analyze_architecture(arch.id).total_params:,}"
        samples = []
        for _ in range(REPEATS):
            back = "lenet5" if arch.id != "lenet5" else "lenet5-padded"
            _option(page, back).click()
            app.wait_idle()
            option = _option(page, arch.id)
            option.wait_for()
            start = time.perf_counter()  # the choice: the click on the option
            option.click()
            expect(page.locator('[data-testid="stMetricValue"]').first).to_have_text(total, timeout=30_000)
            app.wait_idle()
            samples.append(time.perf_counter() - start)
        timings[arch.id] = statistics.median(samples)
    return {"median_s_per_architecture": timings, "slowest_s": max(timings.values()),
            "slowest": max(timings, key=timings.get), "target_s": 1.0}


def _training(app: StreamlitPage) -> dict:
    samples = []
    for run_id in range(1, REPEATS + 1):  # the benchmark's server starts with an empty run store
        page = app.open("/training")
        form = page.locator('[data-testid="stForm"]')
        form.get_by_label("epochs").fill("3")
        start = time.perf_counter()
        form.get_by_role("button", name="Start").click()
        expect(live_view(page, run_id).get_by_text(re.compile(rf"^Run {run_id} ·"))).to_be_visible(timeout=60_000)
        wait_for_loss_points(page, run_id)  # the new run's own view: a stale one never counts
        samples.append(time.perf_counter() - start)
        completed = live_view(page, run_id).get_by_text(re.compile(r"^Completed: test accuracy"))
        expect(completed).to_be_visible(timeout=60_000)
    return {"start_to_first_loss_point_s": samples, "median_s": statistics.median(samples), "target_s": 5.0}


def run() -> dict:
    with tempfile.TemporaryDirectory() as home:
        server = start_server(Path(home))
        try:
            with sync_playwright() as playwright:
                executable = find_chromium()
                browser = playwright.chromium.launch(headless=True, args=CHROMIUM_FLAGS,
                                                     **({"executable_path": executable} if executable else {}))
                app = StreamlitPage(browser.new_page(viewport={"width": 1400, "height": 1000}), server)
                result = {"architectures_page": _architectures(app), "training_page": _training(app)}
                browser.close()
        finally:
            stop_server(server)
    return result
