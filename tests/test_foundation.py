"""The ground every page stands on: state folder, configuration, CLI and benchmark runner."""

import os
import subprocess
import sys
import tomllib

import pytest

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


@pytest.mark.parametrize("args", [["--help"], ["conv", "--input", "5", "--kernel", "3"],
                                  ["pool", "--op", "max", "--input", "1 2; 3 4", "--size", "2"],
                                  ["runs"], ["runs", "show", "1"], ["runs", "cancel", "1"]])
def test_cli_commands_that_need_no_torch_do_not_wait_for_it(args, tmp_path):
    """torch takes ~2 s to import: the parser (built for every command), the arithmetic and the
    run store do without it, so these answer at once."""
    probe = ("import sys\nfrom cnnviz.__main__ import main\ntry:\n    code = main(sys.argv[1:])\n"
             "except SystemExit as exit:  # --help\n    code = exit.code\n"
             "print('torch' in sys.modules, code, file=sys.stderr)")
    result = subprocess.run([sys.executable, "-c", probe, *args], cwd=ROOT, capture_output=True, text=True,
                            timeout=120, env={**os.environ, "CNNVIZ_HOME": str(tmp_path)})
    imported, code = result.stderr.split("\n")[-2].split()
    assert imported == "False"
    assert code == ("2" if args[0] == "runs" and len(args) > 1 else "0")  # no run 1 in an empty store


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
    """A Ctrl-C while starting up (a command that needs torch imports it, ~2 s) is an interruption,
    not a traceback."""
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


def test_bench_results_name_the_cpu_and_its_vector_instructions():
    """The VMs change from one session to the next: a result must say which CPU made it."""
    import torch

    from bench.common import machine_record

    record = machine_record()
    assert record["cpu_capability"] == torch.backends.cpu.get_cpu_capability()
    with open("/proc/cpuinfo") as cpuinfo:
        models = [line.split(":", 1)[1].strip() for line in cpuinfo if line.startswith("model name")]
    assert record["cpu"] == models[0] and record["cpu_count"] == os.cpu_count()


def test_a_benchmark_without_its_hardware_says_so_and_keeps_the_last_results(tmp_path, monkeypatch, capsys):
    """`make bench` on a machine without a GPU must not replace the GPU's results with nothing."""
    import torch

    import bench.__main__ as bench_main

    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    results = tmp_path / "bench" / "results"
    results.mkdir(parents=True)
    monkeypatch.setattr(bench_main, "RESULTS", results)
    earlier = '{"benchmark": "training_gpu", "from": "the last GPU machine"}\n'
    (results / "training_gpu.json").write_text(earlier)

    assert bench_main.main(["training_gpu"]) == 0
    assert "skipped: no CUDA GPU on this machine; bench/results/training_gpu.json is left as it was" in (
        capsys.readouterr().out)
    assert (results / "training_gpu.json").read_text() == earlier
