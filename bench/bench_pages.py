"""Page speed in a real headless Chromium against ``streamlit run app.py`` on 127.0.0.1.

- Architectures (issue 4): from choosing an architecture in the select box to the page having
  re-rendered with its total, for every zoo entry. Target: under 1 s each.
- Training (issue 7): from the Start click to the first loss point drawn. Target: under 5 s.
- The first visit: a fresh server, Home open for 3 s (a student reading it), then "Open
  Architectures": seconds until LeNet-5's total shows. The server warms up in the background
  (``cnnviz.ui.navigation.warm_up``); without it this took 3.4 s on a 2-core CPU.
- A watched run: the form's default run (lenet5-padded on digits, 15 epochs) started on the page
  and watched to its end, against the same run from the CLI with no browser open: the images/s
  the page's run keeps while the server and the browser redraw its curves.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import expect, sync_playwright

from tests.live_app import (
    CHROMIUM_FLAGS,
    ROOT,
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


def _first_visit(browser) -> dict:
    from cnnviz.analysis import analyze_architecture

    total = f"{analyze_architecture('lenet5').total_params:,}"
    samples = []
    for _ in range(REPEATS):
        with tempfile.TemporaryDirectory() as home:
            server = start_server(Path(home))
            try:
                app = StreamlitPage(browser.new_page(viewport={"width": 1400, "height": 1000}), server)
                link = app.open("/").get_by_role("link", name="Open Architectures")
                time.sleep(3)
                start = time.perf_counter()
                link.click()
                expect(app.page.locator('[data-testid="stMetricValue"]').first).to_have_text(total, timeout=60_000)
                samples.append(time.perf_counter() - start)
                app.page.close()
            finally:
                stop_server(server)
    return {"home_to_architectures_s": samples, "median_s": statistics.median(samples)}


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


def _watched_run(app: StreamlitPage) -> dict:
    from cnnviz.runs import RunStore

    store = RunStore(app.server.home / "runs.db")
    watched, alone, threads = [], [], None
    for _ in range(REPEATS):  # page and CLI alternate: the same noise hits both
        run_id = max((run.id for run in store.list_runs()), default=0) + 1  # the one Start creates
        page = app.open("/training")
        page.locator('[data-testid="stForm"]').get_by_role("button", name="Start").click()
        wait_for_loss_points(page, run_id)  # the page draws this run's curves (not the last run's view)
        deadline = time.monotonic() + 300
        while (record := store.get_run(run_id)).active and time.monotonic() < deadline:
            time.sleep(0.2)
        assert record.status == "completed", record.error
        watched.append(record.final["images_per_s"])
        threads = record.info["threads"]
        page.goto("about:blank")  # nobody watches the CLI's run
        output = subprocess.run([sys.executable, "-m", "cnnviz", "train", "--arch", record.config["arch"],
                                 "--dataset", record.config["dataset"], "--json"], cwd=ROOT, check=True,
                                capture_output=True, text=True, env={**os.environ, "CNNVIZ_HOME": str(app.server.home)})
        alone.append(json.loads(output.stdout.splitlines()[-1])["images_per_s"])
    return {"watched_on_page_images_per_s": watched, "cli_alone_images_per_s": alone,
            "page_run_threads": threads, "cores": os.cpu_count(),
            "watched_over_alone": statistics.median(watched) / statistics.median(alone)}


def run() -> dict:
    with tempfile.TemporaryDirectory() as home:
        server = start_server(Path(home))
        try:
            with sync_playwright() as playwright:
                executable = find_chromium()
                browser = playwright.chromium.launch(headless=True, args=CHROMIUM_FLAGS,
                                                     **({"executable_path": executable} if executable else {}))
                app = StreamlitPage(browser.new_page(viewport={"width": 1400, "height": 1000}), server)
                result = {"first_visit": _first_visit(browser), "architectures_page": _architectures(app),
                          "training_page": _training(app), "watched_run": _watched_run(app)}
                browser.close()
        finally:
            stop_server(server)
    return result
