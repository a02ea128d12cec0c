"""State of the Architectures page: widgets <-> URL (``?arch=ID&input=C,H,W&classes=N&compare=a,b``).

The URL is read once per session (a shared link opens the page in its state) and written after
every run, so the address bar always holds a link to what is on the screen.
"""

from __future__ import annotations

import streamlit as st

from cnnviz.analysis import parse_shape
from cnnviz.zoo import Architecture

CUSTOM = "custom"
DEFAULT_ARCH = "lenet5"


def architecture_label(architectures: dict[str, Architecture], arch_id: str) -> str:
    if arch_id == CUSTOM:
        return "Custom network (your own layers)"
    arch = architectures[arch_id]
    return f"{arch.family} · {arch.title} ({arch.id})"


def _set_defaults(arch: Architecture | None) -> None:
    if arch is None:  # a custom network brings its own input shape
        return
    st.session_state.in_c, st.session_state.in_h, st.session_state.in_w = arch.input_shape
    st.session_state.classes = max(arch.num_classes, 1)


def reset_input_to_defaults(architectures: dict[str, Architecture]) -> None:
    """on_change of the architecture: its own default input and classes."""
    _set_defaults(architectures.get(st.session_state.arch))
    if st.session_state.arch == CUSTOM:
        st.session_state.in_c, st.session_state.in_h, st.session_state.in_w = (1, 28, 28)


def read_url_state(architectures: dict[str, Architecture]) -> list[str]:
    """Fill the widgets' state from the URL, once per session; warnings for invalid values."""
    if st.session_state.get("url_read"):
        return []
    st.session_state.url_read = True
    params = st.query_params
    warnings = []
    arch_id = params.get("arch", DEFAULT_ARCH)
    if arch_id not in architectures and arch_id != CUSTOM:
        warnings.append(f"There is no architecture '{arch_id}' — showing {DEFAULT_ARCH} instead.")
        arch_id = DEFAULT_ARCH
    st.session_state.arch = arch_id
    reset_input_to_defaults(architectures)
    if "input" in params:
        try:
            st.session_state.in_c, st.session_state.in_h, st.session_state.in_w = parse_shape(params["input"])
        except ValueError as error:
            warnings.append(f"Ignoring the link's input: {error}.")
    if "classes" in params:
        if params["classes"].isdigit() and int(params["classes"]) > 0:
            st.session_state.classes = int(params["classes"])
        else:
            warnings.append(f"Ignoring the link's classes {params['classes']!r}: give a positive integer.")
    if "compare" in params:
        wanted = [id for id in params["compare"].split(",") if id]
        unknown = [id for id in wanted if id not in architectures]
        if unknown:
            warnings.append(f"Not comparing unknown architectures: {', '.join(unknown)}.")
        st.session_state.compare = [id for id in wanted if id in architectures and id != arch_id]
    return warnings


def write_url_state() -> None:
    """The address bar follows the page: a link to exactly this view."""
    state = st.session_state
    wanted = {"arch": state.arch, "input": f"{state.in_c},{state.in_h},{state.in_w}"}
    if state.arch != CUSTOM:
        wanted["classes"] = str(state.classes)
    if state.get("compare"):
        wanted["compare"] = ",".join(state.compare)
    for key in ("arch", "input", "classes", "compare"):  # other keys (the open tab) are left alone
        if key not in wanted and key in st.query_params:
            del st.query_params[key]
        elif key in wanted and st.query_params.get(key) != wanted[key]:
            st.query_params[key] = wanted[key]
