"""``list`` and ``summary``: the zoo and the layer table from the command line."""

from __future__ import annotations

import functools
import json
import sys

from cnnviz.commands import CliError

FORMATS = ("table", "json", "csv", "markdown", "latex", "torchinfo")
EXIT_DOES_NOT_FIT = 3  # the partial table and the diagnosis were printed


def register(subparsers) -> None:
    listing = subparsers.add_parser("list", help="list the architectures of the zoo")
    listing.add_argument("--json", action="store_true", help="print a JSON list")
    listing.set_defaults(handler=run_list)

    summary = subparsers.add_parser(
        "summary", help="the layer table of an architecture (shapes, # parameters, MACs ...)",
        description="The layer table of a zoo architecture (ID) or of a custom network (--spec). "
                    f"Exit status {EXIT_DOES_NOT_FIT}: the network does not fit its input "
                    "(the partial table and the diagnosis are printed).",
    )
    summary.add_argument("id", nargs="?", metavar="ID", help="a zoo id (python -m cnnviz list)")
    summary.add_argument("--spec", metavar="FILE", help="a custom network spec (JSON or YAML)")
    summary.add_argument("--input", metavar="C,H,W", help="input shape, e.g. 1,28,28")
    summary.add_argument("--classes", type=int, metavar="N", help="number of classes")
    summary.add_argument("--depth", type=int, metavar="D",
                         help="show nested blocks down to depth D (default: every layer)")
    summary.add_argument("--format", choices=FORMATS, default="table")
    summary.add_argument("--order", choices=("pytorch", "textbook"), default="pytorch",
                         help="activation shapes as C×H×W (pytorch) or (H, W, C) (textbook)")
    summary.set_defaults(handler=run_summary)


def run_list(args) -> int:
    from cnnviz.zoo import list_architectures

    architectures = list_architectures()
    if args.json:
        print(json.dumps([arch.to_dict() for arch in architectures], indent=2))
        return 0
    width = max(len(arch.id) for arch in architectures)
    print(f"{'id'.ljust(width)}  {'family':<16} {'input':<12} title")
    for arch in architectures:
        shape = "×".join(str(v) for v in arch.input_shape)
        print(f"{arch.id.ljust(width)}  {arch.family:<16} {shape:<12} {arch.title}")
    return 0


def _parse_input(text: str | None):
    from cnnviz.analysis import parse_shape

    if text is None:
        return None
    try:
        return parse_shape(text)
    except ValueError as error:
        raise CliError(str(error)) from None


def _subject(args):
    """(analysis, model factory) for the zoo id or the spec file."""
    from cnnviz.analysis import analyze_architecture, analyze_model

    input_shape = _parse_input(args.input)
    if args.classes is not None and args.classes <= 0:
        raise CliError(f"--classes must be a positive integer, got {args.classes}")
    if args.depth is not None and args.depth <= 0:
        raise CliError(f"--depth must be a positive integer, got {args.depth}")
    if (args.id is None) == (args.spec is None):
        raise CliError("give either an architecture ID or --spec FILE (python -m cnnviz list shows the ids)")
    if args.spec:
        from cnnviz.spec import SpecError, build_model, load_spec

        if args.classes is not None:
            raise CliError("--classes sets a zoo network's classes; a spec's are its last linear layer's "
                           "out_features: change that in the spec")

        try:
            spec = load_spec(args.spec)
        except SpecError as error:  # its message names the file
            raise CliError(str(error)) from None
        shape = input_shape or spec.input_shape
        factory = functools.partial(build_model, spec, shape)
        try:
            return analyze_model(factory, shape, model_id=spec.name, title=spec.name), factory
        except SpecError as error:  # found while building it (an in_features that cannot be inferred)
            raise CliError(f"{args.spec}: {error}") from None
    from cnnviz.zoo import UnknownArchitecture, get_architecture

    try:
        arch = get_architecture(args.id)
    except UnknownArchitecture as error:
        raise CliError(str(error)) from None
    shape = input_shape or arch.input_shape
    if not arch.configurable and (input_shape and input_shape[0] != arch.input_shape[0]
                                  or args.classes is not None):
        raise CliError(arch.fixed_text)
    factory = functools.partial(arch.build, in_channels=shape[0] if arch.configurable else None,
                                num_classes=args.classes)
    return analyze_architecture(arch.id, shape, args.classes), factory


def run_summary(args) -> int:
    from cnnviz import report

    analysis, factory = _subject(args)
    if args.format == "json":
        print(report.to_json(analysis, args.depth))
    elif args.format == "torchinfo":
        if analysis.diagnosis:
            print(report.diagnosis_text(analysis))
        else:
            try:
                summary = report.torchinfo_summary(analysis, factory, depth=args.depth or 3)
                print(summary.text)
                if summary.note:
                    print(f"\n{summary.note}")
            except report.CannotSummarise as error:
                raise CliError(str(error)) from None
    elif args.format == "table":
        print(report.summary_text(analysis, args.depth, args.order))
    else:
        frame = report.layer_table(analysis, args.depth, args.order)
        writer = {"csv": report.csv_table, "markdown": report.markdown_table,
                  "latex": report.latex_table}[args.format]
        print(writer(frame).rstrip("\n"))
        if analysis.diagnosis:  # on stderr: the file on stdout stays a CSV/Markdown/LaTeX table, as the page's
            print(report.diagnosis_text(analysis, args.order), file=sys.stderr)
    return EXIT_DOES_NOT_FIT if analysis.diagnosis else 0
