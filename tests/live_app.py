"""A live app for the browser tests and the page benchmarks: a real ``streamlit run app.py`` on
127.0.0.1, and the headless Chromium that drives it."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class AppServer:
    url: str
    home: Path  # the server's CNNVIZ_HOME: CLI runs started by a test must use it too
    process: subprocess.Popen
    log_path: Path

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_healthy(server: AppServer, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"streamlit exited with {server.process.returncode}:\n{server.log()}")
        try:
            with urllib.request.urlopen(f"{server.url}/_stcore/health", timeout=2) as response:
                if response.read().strip() == b"ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"streamlit did not become healthy in {timeout_s} s:\n{server.log()}")


def start_server(home: Path, command: list[str] | None = None, port: int | None = None) -> AppServer:
    """Start ``streamlit run app.py`` (or ``command``, which must serve on ``port``) and wait
    until it answers its health check."""
    port = port or free_port()
    home.mkdir(parents=True, exist_ok=True)
    log_path = home / "streamlit.log"
    env = {**os.environ, "CNNVIZ_HOME": str(home), "PYTHONUNBUFFERED": "1"}
    command = command or [
        sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py"),
        "--server.address", "127.0.0.1",
        "--server.port", str(port),
        "--server.headless", "true",
        "--browser.gatherUsageStats", "false",
    ]
    with open(log_path, "w") as log:
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
    server = AppServer(url=f"http://127.0.0.1:{port}", home=home, process=process, log_path=log_path)
    try:
        wait_healthy(server, timeout_s=600)
    except BaseException:
        stop_server(server)
        raise
    return server


def stop_server(server: AppServer) -> None:
    """Stop the server and everything it started (its process group)."""
    try:
        os.killpg(server.process.pid, signal.SIGTERM)
        server.process.wait(timeout=20)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)


# Chromium's own connections to Google's services are refused on closed networks; keep it quiet.
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def find_chromium() -> str | None:
    """A system Chromium (``CNNVIZ_CHROMIUM`` first), or None to use Playwright's own download."""
    candidates = [os.environ.get("CNNVIZ_CHROMIUM")]
    candidates += [shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")]
    return next((c for c in candidates if c), None)


class StreamlitPage:
    """A Playwright page on the app that remembers JavaScript errors and waits for reruns."""

    def __init__(self, page, server: AppServer):
        self.page = page
        self.server = server
        self.errors: list[str] = []
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def open(self, path: str = "/", timeout_ms: float = 60_000):
        self.page.goto(self.server.url + path, timeout=timeout_ms)
        self.wait_idle(timeout_ms)
        return self.page

    def wait_idle(self, timeout_ms: float = 60_000) -> None:
        """Wait until the script has run to its end (the app's own script-state attribute)."""
        self.page.wait_for_selector(
            '[data-testid="stApp"][data-test-script-state="notRunning"]', timeout=timeout_ms
        )

    def exceptions(self) -> list[str]:
        return self.page.locator('[data-testid="stException"]').all_inner_texts()

    def assert_healthy(self) -> None:
        assert self.exceptions() == [], f"Streamlit exception on the page: {self.exceptions()}"
        assert self.errors == [], f"JavaScript errors on the page: {self.errors}"


# The Training page draws each run's live view in a container keyed by the run id. During a rerun
# Streamlit keeps the elements of the run before, marked stale, until new ones replace them (a
# container can even take its new key before its children are replaced): those never count.
_LOSS_POINTS_JS = """([runId, atLeast]) => {
    const view = document.querySelector('.st-key-live-run-' + runId);
    for (const p of view ? view.querySelectorAll('p') : []) {
        const match = p.innerText.match(/^(\\d+) loss points$/);
        if (match && !p.closest('[data-stale="true"]') && +match[1] >= atLeast) return +match[1];
    }
    return false;
}"""


def live_view(page, run_id: int):
    """The locator of run ``run_id``'s live view on the Training page."""
    return page.locator(f".st-key-live-run-{run_id}")


def wait_for_loss_points(page, run_id: int, at_least: int = 1, timeout_ms: float = 60_000) -> int:
    """Wait until run ``run_id``'s live view shows at least ``at_least`` loss points; how many it shows."""
    shown = page.wait_for_function(_LOSS_POINTS_JS, arg=[run_id, at_least], timeout=timeout_ms, polling=50)
    return int(shown.json_value())
