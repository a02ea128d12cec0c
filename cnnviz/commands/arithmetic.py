"""``conv`` and ``pool``: conv arithmetic on small matrices, step by step, from the command line."""

from __future__ import annotations

import json

from cnnviz.commands import CliError
from cnnviz.messages import quoted

MATRIX_HELP = ("rows separated by ';', numbers by spaces or commas, channels by '|': "
               "\"0 1 2; 3 4 5; 6 7 8\" or \"0 1; 2 3 | 1 2; 3 4\" (2 channels)")


def register(subparsers) -> None:
    conv = subparsers.add_parser(
        "conv", help="2-D convolution (cross-correlation) step by step",
        description="The output of a convolution layer, as PyTorch computes it (cross-correlation, "
                    "zero padding), with the output-size formula and, with --steps, every product.",
        epilog="Several input channels: separate the input's and the kernel's channels with '|' "
               "(one kernel matrix per input channel). Several filters (output channels): repeat "
               "--kernel, once per filter, and give --bias one value per filter. Example: "
               "conv --input \"0 1 2; 3 4 5; 6 7 8 | 1 2 3; 4 5 6; 7 8 9\" "
               "--kernel \"0 1; 2 3 | 1 2; 3 4\" --kernel \"1 2; 3 4 | 2 3; 4 5\"",
    )
    conv.add_argument("--input", required=True, metavar="MATRIX", help=f"the input: {MATRIX_HELP}")
    conv.add_argument("--kernel", required=True, action="append", metavar="MATRIX",
                      help="one filter's kernel, written like the input; repeat for several filters")
    conv.add_argument("--padding", default="0", metavar="P|PH,PW",
                      help="zero padding on each side: one number, or height,width (default 0)")
    conv.add_argument("--stride", default="1", metavar="S|SH,SW", help="stride (default 1)")
    conv.add_argument("--dilation", default="1", metavar="D|DH,DW", help="dilation (default 1: no gaps)")
    conv.add_argument("--bias", metavar="B", help="bias: one number, or one per filter separated by commas")
    _add_output_options(conv)
    conv.set_defaults(handler=run_conv)

    pool = subparsers.add_parser(
        "pool", help="2-D max or average pooling step by step",
        description="Max or average pooling as PyTorch computes it (max pads with -∞; average pads "
                    "with zeros that count in the mean, torch's count_include_pad=True).",
        epilog="Several channels ('|') are pooled each on its own: the number of channels is kept.",
    )
    pool.add_argument("--op", required=True, choices=("max", "avg"), help="max or average pooling")
    pool.add_argument("--input", required=True, metavar="MATRIX", help=f"the input: {MATRIX_HELP}")
    pool.add_argument("--size", required=True, metavar="F|FH,FW", help="the pool size (f)")
    pool.add_argument("--stride", metavar="S|SH,SW", help="stride (s); default: the pool size, as in PyTorch")
    pool.add_argument("--padding", default="0", metavar="P|PH,PW",
                      help="padding on each side, at most half the pool size (default 0)")
    _add_output_options(pool)
    pool.set_defaults(handler=run_pool)


def _add_output_options(parser) -> None:
    parser.add_argument("--steps", action="store_true",
                        help="write out every output cell: its window and its expression")
    parser.add_argument("--json", action="store_true",
                        help="print JSON: {operation, output, output_shape, formula, steps (with --steps)}")


def _matrices(text: str, what: str):
    from cnnviz.arithmetic import parse_matrices

    try:
        return parse_matrices(text, what)
    except ValueError as error:
        raise CliError(str(error)) from None


def _pair(text: str, what: str) -> tuple[int, int]:
    parts = [part.strip() for part in text.split(",")]
    try:
        values = [int(part) for part in parts]
    except ValueError:
        raise CliError(f"{what} must be a whole number or two (height,width), got {quoted(text)}") from None
    if len(values) not in (1, 2):
        raise CliError(f"{what} takes one number or two (height,width), got {quoted(text)}")
    return (values[0], values[-1])


def _bias(text: str | None, filters: int) -> list[float] | None:
    from cnnviz.arithmetic import parse_bias

    if text is None:
        return None
    try:
        return parse_bias(text, filters, "--bias")
    except ValueError as error:
        raise CliError(str(error)) from None


def run_conv(args) -> int:
    from cnnviz.arithmetic import Problem

    kernels = [_matrices(text, f"kernel {i + 1}" if len(args.kernel) > 1 else "kernel")
               for i, text in enumerate(args.kernel)]
    problem = Problem("conv", _matrices(args.input, "input"), kernels,
                      padding=_pair(args.padding, "--padding"), stride=_pair(args.stride, "--stride"),
                      dilation=_pair(args.dilation, "--dilation"), bias=_bias(args.bias, len(kernels)))
    return _solve_and_print(problem, args)


def run_pool(args) -> int:
    from cnnviz.arithmetic import LIMITS, Problem

    size = _pair(args.size, "--size")
    if args.stride:
        stride = _pair(args.stride, "--stride")
    else:  # the pool size, as in PyTorch; kept in range, so a bad size is blamed on the size alone
        low, high = LIMITS["stride"]
        stride = tuple(min(max(f, low), high) for f in size)
    problem = Problem(args.op, _matrices(args.input, "input"), pool_size=size,
                      padding=_pair(args.padding, "--padding"), stride=stride)
    return _solve_and_print(problem, args)


def _solve_and_print(problem, args) -> int:
    from cnnviz.arithmetic import InvalidSettings, compute

    try:
        result = compute(problem)
    except InvalidSettings as error:  # impossible settings, or an output past the largest float
        raise CliError(str(error)) from None
    if args.json:
        print(json.dumps(result.to_dict(with_steps=args.steps), indent=2, ensure_ascii=False))
    else:
        print(result_text(result, with_steps=args.steps))
    return 0


def result_text(result, with_steps: bool = False) -> str:
    """The result as a student reads it: settings, output shape with its formula, the output."""
    from cnnviz.arithmetic import OPS, format_number

    problem = result.problem
    c, h, w = problem.input_channels, *problem.input_hw
    kh, kw = problem.kernel_hw
    what = (f"kernel (f) {kh}×{kw}, filters (n) {problem.output_channels}" if problem.op == "conv"
            else f"pool size (f) {kh}×{kw}")
    settings = [f"padding (p) {_pair_text(problem.padding)}", f"stride (s) {_pair_text(problem.stride)}"]
    if problem.dilation != (1, 1):
        settings.append(f"dilation {_pair_text(problem.dilation)}")
    lines = [f"{OPS[problem.op]}: input {c}×{h}×{w}, {what}, {', '.join(settings)}",
             f"output shape (C×H×W): {'×'.join(str(v) for v in result.shape.shape)}"]
    lines += [f"  {line}" for line in result.shape.formula_lines()]
    for index, channel in enumerate(result.output):
        lines.append("output" if len(result.output) == 1 else f"output channel {index + 1}")
        cells = [[format_number(v) for v in row] for row in channel]
        width = max(len(cell) for row in cells for cell in row)
        lines += ["  " + " ".join(cell.rjust(width) for cell in row) for row in cells]
    if with_steps:
        lines.append("steps")
        for step in result.steps:
            where = f"[{step.row},{step.col}]" if len(result.output) == 1 else \
                f"channel {step.channel + 1} [{step.row},{step.col}]"
            lines.append(f"  {where} window at ({step.top},{step.left}): {step.expression}")
            if len(step.terms) > 1:
                lines += [f"      input channel {t.channel + 1}: {t.expression}" for t in step.terms]
    return "\n".join(lines)


def _pair_text(values: tuple[int, int]) -> str:
    return str(values[0]) if values[0] == values[1] else f"{values[0]},{values[1]}"
