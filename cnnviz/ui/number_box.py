"""A whole-number box that brings a value typed past its bounds in, and says so."""

from __future__ import annotations

from collections.abc import Callable

import streamlit as st

from cnnviz.messages import into_range


def number_box(label: str, key: str, limits: tuple[int, int], note_key: str, *, container=None,
               help: str | None = None, disabled: bool = False, then: Callable[[], None] | None = None) -> int:
    """A box bounded by its on_change rather than by Streamlit's min_value/max_value: with those the
    browser keeps a value typed past them in a red box while the page computes with the old one,
    said only in a tooltip. A value out of ``limits`` becomes the nearest allowed one, in the box
    too, and the note why goes to ``st.session_state[note_key]`` (None when there is nothing to
    say) for the page to show. ``then``: what the page's own on_change does first."""
    return (container or st).number_input(label, step=1, key=key, help=help, disabled=disabled,
                                          on_change=_keep_in_range, args=(label, key, limits, note_key, then))


def _keep_in_range(label: str, key: str, limits: tuple[int, int], note_key: str,
                   then: Callable[[], None] | None) -> None:
    if then is not None:
        then()
    st.session_state[key], st.session_state[note_key] = into_range(label, st.session_state[key], *limits)
