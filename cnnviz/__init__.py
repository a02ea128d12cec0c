"""cnnviz: learn and teach convolutional networks — architectures, conv arithmetic, training.

All computation lives here and is importable without streamlit (only ``cnnviz.ui`` imports it).
"""

__version__ = "0.1.0"
