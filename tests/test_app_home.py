"""The home page, in Streamlit's AppTest (no browser) and in a real Chromium."""

import base64
import subprocess
import sys
import threading
import time
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import expect
from streamlit.testing.v1 import AppTest

from cnnviz.ui.navigation import FAVICON, PAGES
from tests.live_app import ROOT, StreamlitPage, free_port, start_server, stop_server


def test_home_page_renders_title_and_a_card_per_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "cnnviz"
    assert [header.value for header in at.subheader] == [info.title for info in PAGES]


def test_the_server_warms_up_once_in_the_background(monkeypatch):
    """Each session runs app.py; the warm-up starts once per server, in its own thread."""
    import streamlit as st

    import cnnviz.ui.navigation as navigation

    threads: list[str] = []
    monkeypatch.setattr(navigation, "warm_up", lambda: threads.append(threading.current_thread().name))
    st.cache_resource.clear()  # as a fresh server: an earlier test's app.py has started it already
    for _ in range(2):
        assert not AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run().exception
    deadline = time.monotonic() + 10
    while not threads and time.monotonic() < deadline:
        time.sleep(0.05)
    time.sleep(0.2)
    assert threads == ["cnnviz-warm-up"]


def test_warm_up_does_what_a_first_visit_waits_for():
    """In a fresh interpreter: torch, torch._dynamo (imported by the meta kernel of LeNet-5's tanh)
    and the pages' modules are imported, and the default network's analysis is cached."""
    code = ("import sys; from cnnviz.ui.navigation import warm_up; warm_up(); "
            "from cnnviz.analysis import analyze_architecture; "
            "print(analyze_architecture.cache_info().currsize, "
            "all(m in sys.modules for m in ('torch._dynamo', 'cnnviz.training', 'cnnviz.figures', 'plotly')))")
    before = subprocess.run([sys.executable, "-c", "import sys; import cnnviz.ui.navigation; "
                             "print('torch' in sys.modules)"], cwd=ROOT, capture_output=True, text=True, check=True)
    assert before.stdout.split() == ["False"]  # importing the navigation (as app.py does) costs nothing
    after = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    assert after.stdout.split() == ["1", "True"]


@pytest.mark.browser
def test_home_page_in_a_real_browser(app: StreamlitPage):
    page = app.open("/")
    assert page.locator("h1").first.inner_text().strip() == "cnnviz"
    assert page.title() == "cnnviz"


@pytest.mark.browser
def test_every_page_opens_without_exception(app: StreamlitPage):
    for url_path in ["", *(info.url_path for info in PAGES)]:
        page = app.open(f"/{url_path}")
        assert page.url.split("?")[0].rstrip("/") == f"{app.server.url}/{url_path}".rstrip("/")
        app.assert_healthy()
        # each tab says which page it holds: every one read "cnnviz" beside the slides
        title = next((f"{info.title} · cnnviz" for info in PAGES if info.url_path == url_path), "cnnviz")
        expect(page).to_have_title(title)


@pytest.mark.browser
def test_no_page_makes_a_request_off_this_machine(app: StreamlitPage):
    """"Everything runs on this machine": the browser only talks to the server (a page icon of
    ":material/...:" would be fetched from fonts.gstatic.com), and the tab shows the app's icon."""
    elsewhere: list[str] = []
    app.page.on("request", lambda request: elsewhere.append(request.url)
                if urlsplit(request.url).hostname not in (None, "", "127.0.0.1") else None)
    for url_path in ["", *(info.url_path for info in PAGES), "architectures?arch=googlenet&compare=resnet18"]:
        page = app.open(f"/{url_path}")
        page.wait_for_timeout(1_000)  # the favicon and lazy chunks load after the script has run
    assert elsewhere == []
    icon = page.locator("link[rel='shortcut icon']").get_attribute("href")
    assert icon == "data:image/svg+xml;base64," + base64.b64encode(FAVICON.read_bytes()).decode()


@pytest.mark.browser
def test_make_run_serves_the_home_page(app: StreamlitPage, tmp_path):
    """`make run`, as the README says, with a free port so it can run beside the test server."""
    port = free_port()
    server = start_server(tmp_path / "home", port=port, command=[
        "make", "--no-print-directory", "run", f"STREAMLIT_ARGS=--server.port {port}"])
    try:
        made = StreamlitPage(app.page, server)
        page = made.open("/")
        assert page.locator("h1").first.inner_text().strip() == "cnnviz"
        made.assert_healthy()
    finally:
        stop_server(server)


@pytest.mark.browser
def test_first_visit_of_a_fresh_server_straight_to_a_page_runs_through_the_app(app: StreamlitPage, tmp_path):
    """Streamlit's old multipage mode would run the page file alone, without navigation."""
    server = start_server(tmp_path / "home")
    try:
        fresh = StreamlitPage(app.page, server)
        page = fresh.open("/architectures?arch=alexnet-d2l")
        nav = page.locator('[data-testid="stTopNav"]')
        expect(nav.get_by_role("link", name="Home")).to_be_visible()
        expect(nav.get_by_role("link", name="app", exact=True)).to_have_count(0)
        expect(page.get_by_text("46,764,746").first).to_be_visible()
        fresh.assert_healthy()
    finally:
        stop_server(server)
