"""The ground every page stands on: state folder, configuration, CLI and benchmark runner."""

import subprocess
import sys
import tomllib

from cnnviz import __version__, paths
from tests.live_app import ROOT


def test_cnnviz_home_follows_the_environment(cnnviz_home, monkeypatch, tmp_path):
    assert paths.cnnviz_home() == cnnviz_home  # the autouse fixture points every test here
    assert cnnviz_home.is_dir()
    other = tmp_path / "elsewhere"
    monkeypatch.setenv("CNNVIZ_HOME", str(other))
    assert paths.runs_db_path() == other / "runs.db"


def test_cnnviz_home_defaults_to_dot_cnnviz_in_the_user_home(monkeypatch, tmp_path):
    monkeypatch.delenv("CNNVIZ_HOME")
    monkeypatch.setenv("HOME", str(tmp_path))
    assert paths.cnnviz_home() == tmp_path / ".cnnviz"


def test_server_binds_to_loopback_headless_without_usage_statistics():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())
    assert config["server"]["address"] == "127.0.0.1"
    assert config["server"]["headless"] is True
    assert config["server"]["fileWatcherType"] == "none"
    assert config["browser"]["gatherUsageStats"] is False


def test_requirements_pin_the_local_torch_build():
    pins = dict(line.split("==") for line in (ROOT / "requirements.txt").read_text().split()
                if "==" in line)
    assert pins["torch"] == "2.14.1"
    assert pins["torchvision"] == "0.29.1"
    for package in ("streamlit", "torchinfo", "plotly", "pandas", "numpy", "scikit-learn"):
        assert package in pins


def run_cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "cnnviz", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_cli_prints_its_version():
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"cnnviz {__version__}"


def test_cli_unknown_command_is_one_line_without_traceback():
    result = run_cli("no-such-command")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "invalid choice: 'no-such-command'" in result.stderr


def test_bench_runner_refuses_an_unknown_benchmark():
    result = subprocess.run([sys.executable, "-m", "bench", "no-such-bench"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2
    assert "unknown benchmark(s) no-such-bench" in result.stderr


def test_cli_ctrl_c_while_starting_up_is_one_line(monkeypatch, capsys):
    """A Ctrl-C while the parser is built (it imports torch, ~2 s) is an interruption, not a traceback."""
    from cnnviz import __main__ as cli

    def interrupted():
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "build_parser", interrupted)
    assert cli.main(["list"]) == 130
    assert capsys.readouterr().err == "interrupted\n"


def test_cli_into_a_closed_pipe_stops_quietly():
    """`summary ... | head` closes the pipe before the table is all written: exit 141, as a Unix
    tool killed by SIGPIPE, and nothing on stderr (no 'error: BrokenPipeError', no 'Exception ignored')."""
    process = subprocess.Popen([sys.executable, "-m", "cnnviz", "summary", "resnet18", "--depth", "2"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    process.stdout.close()  # the reader is gone before the table is written (torch takes ~2 s to import)
    stderr = process.stderr.read()
    assert process.wait(timeout=120) == 141
    assert stderr == ""
