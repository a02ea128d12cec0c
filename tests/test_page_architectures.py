"""The Architectures page: AppTest for its logic, real Chromium for what a student sees."""

import json
import re

import pytest
from playwright.sync_api import expect
from streamlit.testing.v1 import AppTest

from tests.live_app import ROOT, StreamlitPage

PAGE = str(ROOT / "pages" / "architectures.py")


def open_page(**params) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=120)
    for key, value in params.items():
        at.query_params[key] = value
    return at.run()


def metrics(at: AppTest) -> dict[str, str]:
    return {m.label: m.value for m in at.metric}


def test_link_opens_the_architecture_with_its_totals():
    at = open_page(arch="alexnet-d2l")
    assert not at.exception
    assert at.selectbox(key="arch").value == "alexnet-d2l"
    assert metrics(at)["# parameters"] == "46,764,746"
    table = at.dataframe[0].value
    assert table.loc[table["layer"] == "conv1", "activation shape (C×H×W)"].item() == "96×54×54"
    assert table.loc[table["layer"] == "fc6", "# parameters"].item() == 26_218_496
    assert dict(at.query_params) == {"arch": "alexnet-d2l", "input": "1,224,224", "classes": "10"}


def test_switching_architecture_resets_the_input_and_the_url():
    at = open_page(arch="lenet5")
    at.selectbox(key="arch").set_value("vgg16").run()
    assert (at.number_input(key="in_c").value, at.number_input(key="in_h").value) == (3, 224)
    assert metrics(at)["# parameters"] == "138,357,544"
    assert at.query_params["arch"] == "vgg16"


def test_changing_the_input_updates_everything():
    at = open_page(arch="resnet18")
    at.number_input(key="in_h").set_value(64).run()
    at.number_input(key="in_w").set_value(64).run()
    at.number_input(key="classes").set_value(7).run()
    assert not at.exception
    assert metrics(at)["# parameters"] == f"{11_689_512 - 1000 * 513 + 7 * 513:,}"
    assert at.query_params["input"] == "3,64,64"


def test_textbook_order_shows_h_w_c():
    at = open_page(arch="lenet5")
    at.toggle(key="textbook_order").set_value(True).run()
    table = at.dataframe[0].value
    assert table.loc[table["layer"] == "conv2", "activation shape (H, W, C)"].item() == "(10, 10, 16)"


def test_simple_cnn_shows_its_diagnosis_not_an_exception():
    at = open_page(arch="simple-cnn")
    assert not at.exception
    assert "fc expects 320 input features but receives 500 = 20×5×5." in at.error[0].value
    assert "in_features=500" in at.error[0].value


def test_an_input_too_small_is_diagnosed():
    at = open_page(arch="lenet5", input="1,8,8")
    assert not at.exception
    assert "conv2 has a 5×5 kernel but its input is only 2×2" in at.error[0].value


def test_invalid_link_values_fall_back_with_a_message():
    at = open_page(arch="lenet9", input="1,x", classes="many")
    assert not at.exception
    warnings = " ".join(w.value for w in at.warning)
    assert "There is no architecture 'lenet9'" in warnings
    assert "Ignoring the link's input" in warnings
    assert "Ignoring the link's classes 'many'" in warnings
    assert at.selectbox(key="arch").value == "lenet5"


def test_textbook_check_lists_the_wrong_rows():
    at = open_page(arch="lenet5", view="Textbook check")
    checks = at.dataframe[0].value
    wrong = checks[checks[""] == "✗"]
    assert set(wrong["claimed"]) == {"416", "48,000", "10,080", "840"}
    assert "2,416" in set(wrong["computed"])


def test_compare_from_a_link():
    at = open_page(arch="lenet5", compare="vgg16,nope", view="Compare")
    assert not at.exception
    assert at.multiselect(key="compare").value == ["vgg16"]
    comparison = next(d.value for d in at.dataframe if "vgg16" in d.value.columns)
    assert comparison.loc["# parameters", "vgg16"] == "138,357,544 (138.4M)"
    assert comparison.loc["weight layers (depth)", "vgg16"] == "16"
    assert "Not comparing unknown architectures: nope." in " ".join(w.value for w in at.warning)


def test_custom_network_valid_and_invalid():
    at = open_page(arch="custom")
    assert not at.exception
    assert metrics(at)["# parameters"] == "61,706"  # the LeNet-5 example spec
    spec = {"name": "tiny", "input_shape": [1, 8, 8], "layers": [
        {"type": "conv", "filters": 0, "kernel": 3}]}
    at.text_area(key="spec_text").set_value(json.dumps(spec)).run()
    assert "layer 0 (conv)" in at.error[0].value and "'filters'" in at.error[0].value
    at.text_area(key="spec_text").set_value("{not json").run()
    assert "not valid JSON" in at.error[0].value
    assert not at.exception


# --------------------------------------------------------------------------- in a real browser


@pytest.mark.browser
def test_browser_alexnet_d2l_total_and_shapes(app: StreamlitPage):
    page = app.open("/architectures?arch=alexnet-d2l")
    expect(page.get_by_text("46,764,746").first).to_be_visible()
    grid = page.locator('[data-testid="stDataFrame"]').first
    for shape in ("96×54×54", "256×5×5", "6400"):
        expect(grid).to_contain_text(shape)


@pytest.mark.browser
def test_browser_switch_architecture_and_compare(app: StreamlitPage):
    page = app.open("/architectures?arch=lenet5")
    expect(page.get_by_text("61,706").first).to_be_visible()
    page.locator('[data-testid="stSelectbox"]').first.click()
    page.keyboard.type("resnet20")
    page.get_by_role("option", name=re.compile(r"\(resnet20\)")).click()
    expect(page.get_by_text("269,722").first).to_be_visible()
    expect(page).to_have_url(re.compile(r"arch=resnet20"))
    app.wait_idle()
    page.get_by_role("tab", name="Compare").click()
    page.locator('[data-testid="stMultiSelect"]').first.click()
    page.keyboard.type("plain20")
    page.get_by_role("option", name=re.compile(r"\(plain20\)")).click()
    page.keyboard.press("Escape")
    expect(page).to_have_url(re.compile(r"compare=plain20"))
    comparison = page.locator('[data-testid="stDataFrame"]').filter(has_text="weight layers (depth)")
    expect(comparison).to_contain_text("269,722 (269.7K)")
    app.wait_idle()


@pytest.mark.browser
def test_browser_simple_cnn_diagnosis(app: StreamlitPage):
    page = app.open("/architectures?arch=simple-cnn")
    expect(page.get_by_text("expects 320 input features but receives 500")).to_be_visible()


@pytest.mark.browser
def test_browser_custom_network(app: StreamlitPage):
    page = app.open("/architectures?arch=custom")
    spec = {"name": "tiny", "input_shape": [1, 8, 8], "layers": [
        {"type": "conv", "filters": 4, "kernel": 3}, {"type": "relu"}, {"type": "flatten"},
        {"type": "linear", "out_features": 2}]}
    editor = page.get_by_role("textbox", name="Network spec (JSON)")
    editor.fill(json.dumps(spec))
    editor.press("Control+Enter")
    expect(page.get_by_text(f"{(9 + 1) * 4 + (144 + 1) * 2:,}").first).to_be_visible()
    expect(page.locator('[data-testid="stDataFrame"]').first).to_contain_text("4×6×6")
