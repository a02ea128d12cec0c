"""Benchmarks: ``make bench`` (or ``python -m bench [NAME ...]``) runs them, JSON in bench/results/.

Each ``bench/bench_<name>.py`` defines ``run() -> dict``; the runner adds the machine and the
versions and writes ``bench/results/<name>.json``. Numbers are medians of repeats measured side by
side in one run, because these machines are noisy; targets are reported, never asserted in tests.
"""
