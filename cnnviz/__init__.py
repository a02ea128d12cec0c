"""cnnviz: learn and teach convolutional networks — architectures, conv arithmetic, training.

All computation lives here and is importable without streamlit (only ``cnnviz.ui`` imports it).
"""

__version__ = "0.1.0"


def exit_without_a_last_collection() -> None:
    """At exit the interpreter's last garbage collections walk every object torch made: ~1 s of
    each command or worker that imported it. Objects frozen at exit are skipped; cnnviz closes its
    store and files before, so nothing waits for those collections."""
    import atexit
    import gc

    atexit.register(gc.freeze)
