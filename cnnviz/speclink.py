"""A custom network in a link: its spec as one URL parameter, and back.

The spec travels as data, never code: a short spec as compact JSON (readable, editable by hand),
a longer one as ``z.`` + zlib-compressed JSON in URL-safe base64. Decoding gives back the JSON
text only; the caller parses it with the same validation as a typed spec (``cnnviz.spec``).
Both directions are capped: a link holds at most :data:`MAX_LINK_CHARS` characters of spec, and
a compressed spec may expand to at most :data:`MAX_SPEC_CHARS` characters.
"""

from __future__ import annotations

import base64
import binascii
import json
import zlib
from typing import Any
from urllib.parse import quote

MAX_LINK_CHARS = 8_000  # of the parameter's value: links longer than ~8 kB break in some tools
MAX_SPEC_CHARS = 200_000  # of the JSON text a compressed spec expands to
JSON_IN_LINK_CHARS = 400  # a spec whose percent-encoded JSON is at most this long stays readable
COMPRESSED = "z."


class SpecLinkError(ValueError):
    """A link's spec that cannot be read back (cut off, not ours, too large) or a spec too large
    for a link; the message says what is wrong and what to do."""


def encode_spec(data: Any) -> str:
    """The spec's data (as parsed from its JSON) as one URL parameter value."""
    text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
    if len(quote(text, safe="")) <= JSON_IN_LINK_CHARS:
        return text
    packed = base64.urlsafe_b64encode(zlib.compress(text.encode("utf-8"), 9)).decode("ascii")
    value = COMPRESSED + packed.rstrip("=")
    if len(value) > MAX_LINK_CHARS:
        raise SpecLinkError(f"this spec is too large for a link ({len(value):,} characters compressed, "
                            f"a link holds at most {MAX_LINK_CHARS:,}); share it with Export spec (JSON)")
    return value


def decode_spec(value: str) -> str:
    """The JSON text of a link's ``spec`` parameter (not yet validated as a spec)."""
    if len(value) > MAX_LINK_CHARS:
        raise SpecLinkError(f"the link's spec is {len(value):,} characters long; a link holds at most "
                            f"{MAX_LINK_CHARS:,}")
    if value.lstrip().startswith("{"):
        return value
    if not value.startswith(COMPRESSED):
        raise SpecLinkError("the link's spec is neither JSON (starting with '{') nor a compressed spec "
                            f"(starting with {COMPRESSED!r})")
    packed = value[len(COMPRESSED):]
    try:
        raw = base64.b64decode(packed + "=" * (-len(packed) % 4), altchars=b"-_", validate=True)
        inflater = zlib.decompressobj()
        data = inflater.decompress(raw, MAX_SPEC_CHARS + 1)
    except (binascii.Error, ValueError, zlib.error):
        raise SpecLinkError("the link's compressed spec is damaged — was the link cut off when it was "
                            "copied?") from None
    if len(data) > MAX_SPEC_CHARS or inflater.unconsumed_tail:
        raise SpecLinkError(f"the link's spec expands to more than {MAX_SPEC_CHARS:,} characters")
    if not inflater.eof:
        raise SpecLinkError("the link's compressed spec is incomplete — was the link cut off when it "
                            "was copied?")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise SpecLinkError("the link's compressed spec is not UTF-8 text") from None
