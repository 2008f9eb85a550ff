"""Bodies to bytes, in the documented JSON or XML, after a check against their schema.

The field order of both formats is the order of the schema's 'properties'. The XML is the
documented positional form: a <result> root, one <entry> per field, booleans as true/false,
numbers bare, strings in CDATA unless the schema marks the field as plain text. Serialised
bodies are cached by content, so a body is validated once and the hot path is a dict lookup;
the cache is dropped when the contract is read from elsewhere (spec.use_contract).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from typing import Any
from xml.sax.saxutils import escape

from mock_server.contract import spec
from mock_server.errors import BodyViolation

XML_PROLOG = "<?xml version='1.0' encoding='UTF-8'?>"

Payload = tuple[tuple[str, Any], ...]


def _ordered(schema_name: str, payload: Mapping[str, Any]) -> dict[str, Any]:
    order = spec.field_order(schema_name)
    body = {key: payload[key] for key in order if key in payload}
    body.update((key, value) for key, value in payload.items() if key not in body)
    return body


def _scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


# Characters XML 1.0 cannot carry; they become U+FFFD so the document always parses.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def _xml_text(text: str) -> str:
    return _NOT_XML.sub("\ufffd", text)


def _cdata(text: str) -> str:
    # ']]>' would end the section; '\r' would be read back as '\n' (XML end-of-line rule)
    inner = text.replace("]]>", "]]]]><![CDATA[>").replace("\r", "]]>&#13;<![CDATA[")
    return f"<![CDATA[{inner}]]>"


def _leaf(value: Any, plain: bool) -> str:
    if isinstance(value, str):
        clean = _xml_text(value)
        return escape(clean, {"\r": "&#13;"}) if plain else _cdata(clean)
    return _scalar(value)


def _element(tag: str, value: Any, plain: bool, named: bool, level: int) -> list[str]:
    """One element; lists and objects nest <entry> children (named ones for x-xml 'named')."""
    pad = spec.assumed("xml-layout")["indent"] * level
    if isinstance(value, Mapping | list):
        items = value.items() if isinstance(value, Mapping) else (("entry", v) for v in value)
        lines = [f"{pad}<{tag}>"]
        for key, child in items:
            lines += _element(key if named else "entry", child, False, False, level + 1)
        return [*lines, f"{pad}</{tag}>"]
    return [f"{pad}<{tag}>{_leaf(value, plain)}</{tag}>"]


def _xml(schema_name: str, body: Mapping[str, Any]) -> str:
    layout = spec.assumed("xml-layout")
    plain = spec.plain_text_fields(schema_name)
    named = spec.named_children_fields(schema_name)
    entries = []
    for key, value in body.items():
        entries += _element("entry", value, key in plain, key in named, 1)
    newline: str = layout["newline"]
    return newline.join([XML_PROLOG, "<result>", *entries, "</result>"]) + newline


def _json(body: Mapping[str, Any]) -> str:
    options = spec.assumed("json-encoding")
    separators = (",", ":") if options["compact"] else (", ", ": ")
    text: str = json.dumps(body, ensure_ascii=options["ascii"], separators=separators)
    return text


def _render_uncached(schema_name: str, payload: Mapping[str, Any], fmt: str) -> bytes:
    body = _ordered(schema_name, payload)
    problem = spec.first_error(schema_name, body)
    if problem:
        raise BodyViolation(schema_name, *problem)
    text = _xml(schema_name, body) if fmt == "xml" else _json(body)
    return text.encode("utf-8")


@functools.lru_cache(maxsize=4096)
def _render(schema_name: str, payload: Payload, fmt: str, overlay: str) -> bytes:
    # overlay: the key of the calibration in force, which may change the layout
    return _render_uncached(schema_name, dict(payload), fmt)


spec.register_cache(_render.cache_clear)  # a body rendered for one contract is not another's


def render(schema_name: str, payload: Mapping[str, Any], fmt: str) -> bytes:
    """The wire bytes of payload in fmt ('json' or 'xml'); raises BodyViolation if invalid.

    Flat bodies (every value a scalar) are cached; bodies with lists or objects, which
    change with every request that carries them, are rendered each time.
    """
    if any(isinstance(value, Mapping | list) for value in payload.values()):
        return _render_uncached(schema_name, payload, fmt)
    return _render(schema_name, tuple(payload.items()), fmt, spec.overlay().key)
