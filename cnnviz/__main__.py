"""The command-line interface: ``python -m cnnviz COMMAND ...``.

The sub-commands live in ``cnnviz/commands/``; this module only discovers and dispatches them.
Bad input never shows a traceback: a one-line message and exit status 2. Set ``CNNVIZ_DEBUG=1``
to see the traceback of an unexpected error.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from cnnviz import __version__, commands
from cnnviz.commands import CliError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m cnnviz",
        description="cnnviz: architectures, conv arithmetic and training runs from the command line.",
    )
    parser.add_argument("--version", action="version", version=f"cnnviz {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for module_info in sorted(pkgutil.iter_modules(commands.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{commands.__name__}.{module_info.name}")
        module.register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return int(handler(args) or 0)
    except CliError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as error:  # a bug, not bad input: still one line unless asked for more
        if os.environ.get("CNNVIZ_DEBUG"):
            raise
        print(f"error: {type(error).__name__}: {error} (set CNNVIZ_DEBUG=1 for the traceback)",
              file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
