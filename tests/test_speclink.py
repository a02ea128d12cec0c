"""A custom network's spec in a link: encoded as data, read back, capped."""

import base64
import json
import zlib

import pytest

from cnnviz.spec import EXAMPLE_SPECS
from cnnviz.speclink import MAX_LINK_CHARS, MAX_SPEC_CHARS, SpecLinkError, decode_spec, encode_spec


def test_a_short_spec_stays_readable_json():
    spec = {"name": "t", "input_shape": [1, 8, 8], "layers": [{"type": "relu"}]}
    value = encode_spec(spec)
    assert value == '{"name":"t","input_shape":[1,8,8],"layers":[{"type":"relu"}]}'
    assert json.loads(decode_spec(value)) == spec


@pytest.mark.parametrize("name", list(EXAMPLE_SPECS))
def test_every_example_round_trips(name):
    value = encode_spec(EXAMPLE_SPECS[name])
    assert len(value) <= MAX_LINK_CHARS
    assert json.loads(decode_spec(value)) == json.loads(json.dumps(EXAMPLE_SPECS[name]))


def test_a_long_spec_is_compressed_and_url_safe():
    spec = {"name": "long", "input_shape": [1, 8, 8], "layers": [{"type": "relu"}] * 200}
    value = encode_spec(spec)
    assert value.startswith("z.") and len(value) < len(json.dumps(spec)) / 10
    assert set(value[2:]) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
    assert json.loads(decode_spec(value)) == spec


def test_a_spec_too_large_for_a_link_is_refused_with_a_message():
    spec = {"name": "huge", "input_shape": [1, 8, 8],
            "layers": [{"type": "conv", "filters": i, "kernel": 1, "name": f"c{i}"} for i in range(1, 3000)]}
    with pytest.raises(SpecLinkError, match="too large for a link .* Export spec"):
        encode_spec(spec)


@pytest.mark.parametrize("value, message", [
    ("x" * (MAX_LINK_CHARS + 1), "characters long; a link holds at most"),
    ("hello", "neither JSON"),
    ("z.!!!!", "damaged"),
    ("z." + base64.urlsafe_b64encode(zlib.compress(b'{"name": "x"}'))[:-6].decode(), "incomplete|damaged"),
    ("z." + base64.urlsafe_b64encode(zlib.compress(b" " * (MAX_SPEC_CHARS + 10))).decode(), "expands to more"),
    ("z." + base64.urlsafe_b64encode(zlib.compress(b"\xff\xfe")).decode(), "not UTF-8"),
])
def test_a_bad_link_spec_says_what_is_wrong(value, message):
    with pytest.raises(SpecLinkError, match=message):
        decode_spec(value)


def test_decoding_never_evaluates_anything():
    value = '{"name": "__import__(\'os\').system(\'false\')"}'
    assert decode_spec(value) == value  # text only; the page parses it as JSON data
