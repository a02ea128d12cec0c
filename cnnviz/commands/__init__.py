"""CLI sub-commands, one module per area of cnnviz.

Every module here defines ``register(subparsers)``, which adds its sub-commands with
``parser.set_defaults(handler=...)``. A handler takes the parsed ``argparse.Namespace`` and returns
an exit code; it raises :class:`cnnviz.commands.CliError` for bad input, which the CLI prints as one
line (no traceback) and exits with status 2. ``cnnviz.__main__`` discovers the modules itself,
so adding an area means adding a module, nothing else.
"""


class CliError(Exception):
    """Bad input from the command line: printed as one line, exit status 2."""
