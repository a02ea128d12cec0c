"""Streamlit widgets shared by the pages: the only part of cnnviz that imports streamlit."""
