"""Reading the values of a shared link (URL query parameters), which may hold anything pasted, and
knowing when Back or Forward brought it."""

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


def came_by_back_or_forward() -> bool:
    """Whether this run is the browser's Back or Forward: the address then holds an earlier view to
    show. (Every run gets the address the browser has, which can lag behind what the page wrote while
    a student clicks fast; only this mark, which Streamlit's own address-bound widgets use, tells.)"""
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return bool(ctx is not None and getattr(ctx, "is_history_navigation", False))

