"""``python -m cnnviz check [SOURCE] [--json]``: the course documents' claims against the truth."""

from __future__ import annotations

import json

from cnnviz.commands import CliError


def register(subparsers) -> None:
    parser = subparsers.add_parser(
        "check",
        help="check the course documents' tables and claims against computed values",
        description="Recompute every table row and claim of the course documents (activation "
                    "shapes and sizes, # parameters, multiplications) and say which ones are "
                    "wrong and why. Approximate claims ('~60 thousand', '26M') match within 5%.",
    )
    parser.add_argument("source", nargs="?", metavar="SOURCE",
                        help="only one document (000..004, its alias such as ufv or ng, or its "
                             "file name) or one architecture id (lenet5, ng-example, ...)")
    parser.add_argument("--json", action="store_true", help="print the checks as a JSON list")
    parser.set_defaults(handler=run_check)


def run_check(args) -> int:
    from cnnviz import textbook  # torch is imported only when the command runs

    try:
        checks = textbook.check(args.source)
    except textbook.UnknownSource as error:
        raise CliError(str(error)) from None
    if args.json:
        print(json.dumps([c.to_dict() for c in checks], indent=2, ensure_ascii=False))
    elif not checks:
        print(f"{args.source}: this document has no tables or claims that cnnviz checks (those that do: "
              f"{', '.join(textbook.documents_with_claims())}).")
    else:
        print(format_checks(checks))
    return 0


def format_checks(checks) -> str:
    """Checks grouped by source, one line each: ✓/✗, item, quantity, claimed → computed, why."""
    from cnnviz.report import claim_text

    lines: list[str] = []
    current = None
    for c in checks:
        if (c.source, c.architecture) != current:
            current = (c.source, c.architecture)
            lines += ["" if lines else None, f"{c.source}  [{c.architecture}]"]
        line = f"  {'✓' if c.matches else '✗'} {claim_text(c)}"
        if c.explanation and not c.matches:
            line += f"\n      → {c.explanation}"
        lines.append(line)
    wrong = sum(not c.matches for c in checks)
    claims = "1 claim" if len(checks) == 1 else f"{len(checks)} claims"
    lines += ["", f"{claims} checked: {len(checks) - wrong} correct, {wrong} wrong."]
    return "\n".join(line for line in lines if line is not None)
