"""Shared fixtures: an isolated CNNVIZ_HOME for every test, and for the browser tests a real
``streamlit run app.py`` on 127.0.0.1 driven by headless Chromium through Playwright."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.live_app import CHROMIUM_FLAGS, AppServer, StreamlitPage, find_chromium, start_server, stop_server


@pytest.fixture(autouse=True)
def cnnviz_home(tmp_path, monkeypatch) -> Path:
    """Every test gets its own state folder: never the user's ~/.cnnviz."""
    home = tmp_path / "cnnviz-home"
    monkeypatch.setenv("CNNVIZ_HOME", str(home))
    return home


@pytest.fixture
def fails_inside_a_block():
    """A custom network whose residual block fails at its second layer (a linear that expects 7
    features and receives 4×8×8), with a layer after it in the block and one after the block."""
    from cnnviz.spec import parse_spec

    return parse_spec({"name": "fails-inside", "input_shape": [1, 8, 8], "layers": [
        {"type": "residual", "layers": [
            {"type": "conv", "filters": 4, "kernel": 3, "padding": 1},
            {"type": "linear", "out_features": 5, "in_features": 7},
            {"type": "conv", "filters": 1, "kernel": 1}]},
        {"type": "flatten"},
        {"type": "linear", "out_features": 10, "in_features": 64}]})


# --------------------------------------------------------------------------- the app server


@pytest.fixture(scope="session")
def app_server(tmp_path_factory) -> AppServer:
    """``streamlit run app.py`` on a free port of 127.0.0.1, with its own CNNVIZ_HOME."""
    server = start_server(tmp_path_factory.mktemp("server-home"))
    yield server
    stop_server(server)


# --------------------------------------------------------------------------- the browser


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args, playwright):
    """pytest-playwright's launch arguments, pointed at a system Chromium when there is one.

    No browser at all skips the browser tests on a developer's machine and FAILS them in CI.
    """
    executable = find_chromium()
    if executable is None and not Path(playwright.chromium.executable_path).exists():
        message = "no Chromium found: install Debian's chromium, or run `make test` (it downloads one)"
        if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
            pytest.fail(message)
        pytest.skip(message)
    args = {**browser_type_launch_args, "headless": True, "args": CHROMIUM_FLAGS}
    if executable:
        args["executable_path"] = executable
    return args


@pytest.fixture
def app(page, app_server) -> StreamlitPage:
    """The app in a fresh browser page; the test fails on any exception element or page error."""
    streamlit_page = StreamlitPage(page, app_server)
    yield streamlit_page
    streamlit_page.assert_healthy()
