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
import re
import sys

from cnnviz import __version__, commands, exit_without_a_last_collection
from cnnviz.commands import CliError

EXIT_BROKEN_PIPE = 128 + 13  # what the shell reports for a process killed by SIGPIPE


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


def _is_numbers(text: str) -> bool:
    """Whether ``text`` is numbers only: "-1", "-inf", "-1e-3", "-1,2", "-1 2; 3 4 | 5 6"."""
    parts = [part for part in re.split(r"[\s,;|]+", text) if part]
    try:
        [float(part) for part in parts]
    except ValueError:
        return False
    return bool(parts)


def attach_negative_values(argv: list[str]) -> list[str]:
    """``--bias -inf`` -> ``--bias=-inf``: an option's value that starts with '-' and is made of
    numbers, attached to its option. argparse takes a plain "-1" or "-1.5" for a value, but
    "-inf", "-1e-3" or "-1,2" for an unknown option ("expected one argument"); the ``=`` form is
    argparse's own way to give any value. After ``--`` nothing is changed."""
    attached: list[str] = []
    for arg in argv:
        previous = attached[-1] if attached else ""
        if (arg.startswith("-") and _is_numbers(arg) and previous.startswith("-") and "=" not in previous
                and not _is_numbers(previous) and "--" not in attached):
            attached[-1] = f"{previous}={arg}"
        else:
            attached.append(arg)
    return attached


def _quiet_stdout() -> None:
    """Send what is still buffered for a closed pipe to /dev/null, so the interpreter's last flush
    does not print "Exception ignored ... BrokenPipeError" (the recipe of Python's signal docs)."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def main(argv: list[str] | None = None) -> int:
    try:  # a command that needs torch imports it (~2 s): a Ctrl-C then is an interruption too
        parser = build_parser()
        args = parser.parse_args(attach_negative_values(sys.argv[1:] if argv is None else argv))
        handler = getattr(args, "handler", None)
        if handler is None:
            parser.print_help()
            return 2
        code = int(handler(args) or 0)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return code
    except BrokenPipeError:  # `... | head` stopped reading: not an error, as for any Unix tool
        _quiet_stdout()
        return EXIT_BROKEN_PIPE
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
    exit_without_a_last_collection()
    sys.exit(main())
