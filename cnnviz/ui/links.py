"""Reading the values of a shared link (URL query parameters), which may hold anything pasted."""

from __future__ import annotations

import re

HUGE = 10**15  # what a longer run of digits reads as: beyond every widget's range


def whole_number(text: str) -> int | None:
    """``text`` as a whole number (None if it is not one); thousands of digits read as HUGE, not
    as a number that Python refuses to convert."""
    text = text.strip()
    if not re.fullmatch(r"[0-9]+", text):
        return None
    return int(text) if len(text) <= 15 else HUGE
