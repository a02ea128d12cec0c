"""The home page, in Streamlit's AppTest (no browser) and in a real Chromium."""

import os
import subprocess

import pytest
from streamlit.testing.v1 import AppTest

from cnnviz.ui.navigation import PAGES
from tests.conftest import ROOT, AppServer, StreamlitPage, _free_port, _wait_healthy


def test_home_page_renders_title_and_a_card_per_page():
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert at.title[0].value == "cnnviz"


@pytest.mark.browser
def test_home_page_in_a_real_browser(app: StreamlitPage):
    page = app.open("/")
    assert page.locator("h1").first.inner_text().strip() == "cnnviz"
    assert page.title() == "cnnviz"


@pytest.mark.browser
def test_every_page_opens_without_exception(app: StreamlitPage):
    for url_path in ["", *(info.url_path for info in PAGES)]:
        page = app.open(f"/{url_path}")
        assert page.url.rstrip("/") == f"{app.server.url}/{url_path}".rstrip("/")
        app.assert_healthy()


@pytest.mark.browser
def test_make_run_serves_the_home_page(app: StreamlitPage, tmp_path):
    """`make run`, as the README says, with a free port so it can run beside the test server."""
    port = _free_port()
    log_path = tmp_path / "make-run.log"
    env = {**os.environ, "CNNVIZ_HOME": str(tmp_path / "home")}
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "run", f"STREAMLIT_ARGS=--server.port {port}"],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )
    server = AppServer(url=f"http://127.0.0.1:{port}", home=tmp_path / "home", process=process,
                       log_path=log_path)
    try:
        _wait_healthy(server, timeout_s=600)
        made = StreamlitPage(app.page, server)
        page = made.open("/")
        assert page.locator("h1").first.inner_text().strip() == "cnnviz"
        made.assert_healthy()
    finally:
        os.killpg(process.pid, 15)
        process.wait(timeout=20)
