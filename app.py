"""cnnviz: the home page and the navigation. Each page lives in pages/; all logic in cnnviz/."""

import streamlit as st

from cnnviz.ui.navigation import FAVICON, PAGES, start_warm_up

# Before the navigation: its pages' ":material/...:" icons would be fetched from fonts.gstatic.com
st.set_page_config(page_title="cnnviz", page_icon=str(FAVICON), layout="wide")
start_warm_up()

pages = {info.url_path: st.Page(info.path, title=info.title, icon=info.icon, url_path=info.url_path)
         for info in PAGES}


def home() -> None:
    st.title("cnnviz")
    st.markdown(
        "**Learn convolutional networks by looking inside them.** Build the networks of the course — "
        "LeNet-5, AlexNet, VGG, NiN, GoogLeNet, ResNet and the course's own small nets — and see "
        "every activation shape, activation size and # parameters; step through conv arithmetic "
        "number by number; train small networks and watch their curves grow."
    )
    cards = st.columns(max(len(PAGES), 1))
    for card, info in zip(cards, PAGES):  # cards of one height: their links in one line
        with card.container(border=True, height="stretch", vertical_alignment="distribute"):
            st.subheader(info.title)
            st.write(info.blurb)
            st.page_link(pages[info.url_path], label=f"Open {info.title}", icon=info.icon)
    st.caption(
        "Everything runs on this machine: state lives in `CNNVIZ_HOME` (default `~/.cnnviz`), "
        "and nothing is downloaded unless you ask for a torchvision dataset."
    )


home_page = st.Page(home, title="Home", icon=":material/home:", default=True)
page = st.navigation([home_page, *pages.values()], position="top")
# The browser tab says which page it holds (a student keeps several open beside the slides)
st.set_page_config(page_title="cnnviz" if page is home_page else f"{page.title} · cnnviz")
page.run()
