"""What every message that quotes a student's text shares: plain Python, importable by any module."""

from __future__ import annotations

SHOWN_CHARS = 80  # a bad value in a message: a layer list or a pasted blob can be megabytes


def cut_short(text: str) -> str:
    """``text`` cut to SHOWN_CHARS with an ellipsis: a message stays readable whatever was pasted."""
    return text if len(text) <= SHOWN_CHARS else text[:SHOWN_CHARS - 1] + "…"


def quoted(value) -> str:
    """``value`` in quotes as Python writes it (``'abc'``), cut short."""
    return cut_short(repr(value))


MARKDOWN_SPECIAL = "\\`*_[]<>#|$~:"


def markdown_literal(text: str) -> str:
    """``text`` as Streamlit's markdown shows it letter for letter: a claim such as '25 * c^2' or
    a formula with '$' or ':' would otherwise turn italic, into LaTeX or an emoji."""
    return "".join("\\" + char if char in MARKDOWN_SPECIAL else char for char in text)


def into_range(label: str, typed: int | None, low: int, high: int) -> tuple[int, str | None]:
    """A whole number typed into a box that takes ``low`` to ``high``: the nearest allowed value and,
    where that is not what was typed, the note that says so. (Streamlit's own min/max leave a
    value typed past them in a red box and keep computing with the old one, saying nothing.)"""
    value = min(max(typed or 0, low), high)  # an emptied box reads 0 (or None)
    if value == typed:
        return value, None
    shown = "an empty box or 0" if not typed else f"{typed:,}".replace("-", "−")
    return value, f"{label} must be from {low:,} to {high:,}: {shown} is out of range, so the page uses {value:,}."

