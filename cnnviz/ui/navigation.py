"""The pages of the app, as data: app.py builds the navigation and the home cards from it, and the
browser tests open every page listed here."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from pathlib import Path

# The tab's icon: a kernel's window on a feature map. A file of ours, because Streamlit fetches a
# ":material/...:" page icon from fonts.gstatic.com, and the app makes no request off this machine.
FAVICON = Path(__file__).with_name("favicon.svg")


@dataclass(frozen=True)
class PageInfo:
    path: str  # the page file, relative to the repository root
    title: str
    icon: str
    url_path: str  # stable: links to /<url_path> are shared by instructors
    blurb: str  # what a student does there, for the home page's card


PAGES: list[PageInfo] = [
    PageInfo("pages/architectures.py", "Architectures", ":material/account_tree:", "architectures",
             "LeNet-5 to ResNet, layer by layer: activation shapes and sizes, # parameters with "
             "their formula, MACs, receptive fields, diagrams — and the textbook's tables checked."),
    PageInfo("pages/arithmetic.py", "Conv arithmetic", ":material/calculate:", "arithmetic",
             "Convolution, padding, stride, dilation, channels and pooling on small matrices, step by "
             "step: every product written out, an animation, and your own guesses checked."),
    PageInfo("pages/training.py", "Training", ":material/monitoring:", "training",
             "Train LeNet-5, VGG-style and ResNet nets on real digits (on the GPU when there is one) and "
             "watch loss and accuracy grow live; compare runs; see what the network gets wrong."),
]


def run_through_app() -> None:
    """Make sure this page runs inside app.py's navigation.

    A server's very first visit straight to a page URL (say /architectures) makes Streamlit use its
    old multipage mode, because a pages/ folder exists: it runs the page file alone, without
    app.py — no navigation, no page config. Leaving that mode and rerunning runs app.py, which
    then opens the requested page through st.navigation.
    """
    import streamlit as st
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def warm_up() -> None:
    """Do once, before anyone asks, what the first visit to a page would otherwise wait for:
    import torch and the pages' modules, and analyse the Architectures page's default network (its
    tanh's meta kernel imports torch._dynamo). On a 2-core CPU the first click from Home to
    Architectures took 3.4 s, every later one a fraction of that."""
    from cnnviz import figures, report, runs, textbook, training, training_figures  # noqa: F401  the pages' own
    from cnnviz.analysis import analyze_architecture
    from cnnviz.ui.architectures import DEFAULT_ARCH

    analyze_architecture(DEFAULT_ARCH)


def start_warm_up() -> None:
    """:func:`warm_up` in a background thread, once per server (the home page is not held up)."""
    import streamlit as st

    @st.cache_resource(show_spinner=False)
    def started() -> threading.Thread:
        thread = threading.Thread(target=warm_up, name="cnnviz-warm-up", daemon=True)
        thread.start()
        return thread

    started()
