"""Run benchmarks: ``python -m bench`` runs all, ``python -m bench NAME ...`` the named ones."""

from __future__ import annotations

import importlib
import json
import pkgutil
import sys
from pathlib import Path

from bench.common import NothingToMeasure, machine_record

BENCH = Path(__file__).resolve().parent
RESULTS = BENCH / "results"


def available() -> list[str]:
    return sorted(m.name.removeprefix("bench_") for m in pkgutil.iter_modules([str(BENCH)])
                  if m.name.startswith("bench_"))


def main(names: list[str]) -> int:
    known = available()
    unknown = [name for name in names if name not in known]
    if unknown:
        print(f"unknown benchmark(s) {', '.join(unknown)}; available: {', '.join(known) or 'none'}",
              file=sys.stderr)
        return 2
    RESULTS.mkdir(exist_ok=True)
    for name in names or known:
        print(f"== bench {name}", flush=True)
        module = importlib.import_module(f"bench.bench_{name}")
        path = RESULTS / f"{name}.json"
        try:
            measured = module.run()
        except NothingToMeasure as reason:
            print(f"skipped: {reason}; {path.relative_to(RESULTS.parent.parent)} is left as it was")
            continue
        result = {"benchmark": name, "machine": machine_record(), **measured}
        path.write_text(json.dumps(result, indent=2) + "\n")
        print(json.dumps(result, indent=2))
        print(f"-> {path}")
    if not known:
        print("no benchmarks yet")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
