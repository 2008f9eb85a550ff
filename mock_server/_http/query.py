"""Query-string decoding with the semantics of the live API's PHP backend.

aiohttp's own parsing is not used because clients send raw, unnormalised query strings: an
unencoded '+' must arrive as a space, a malformed escape such as '%zz' must survive as text,
invalid UTF-8 must not raise, and a repeated parameter keeps its last value (assumption
'repeated-parameter', which a calibration may turn to 'first').
"""

from __future__ import annotations

from urllib.parse import unquote_plus

from mock_server.contract import spec


def parse(raw: str) -> dict[str, str]:
    """Decode a raw query string into {name: value}; never raises."""
    params: dict[str, str] = {}
    first = spec.assumed("repeated-parameter") == "first"
    for pair in raw.split("&"):
        if not pair:
            continue
        name, _, value = pair.partition("=")
        name = unquote_plus(name, errors="replace")
        if first and name in params:
            continue
        params[name] = unquote_plus(value, errors="replace")
    return params


def response_format(params: dict[str, str]) -> str:
    """'json' or 'xml': JSON when _format is absent (documented); its documented spellings
    (json, xml, JSON, XML), other cases ('format-case') and unknown values ('unknown-format')
    as the assumptions say."""
    if "_format" not in params:
        return spec.DEFAULT_FORMAT
    asked = params["_format"].strip()
    if spec.assumed("format-case") == "case-insensitive" or asked == asked.upper():
        asked = asked.lower()
    return asked if asked in spec.MEDIA_TYPES else spec.assumed("unknown-format")
