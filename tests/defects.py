"""Deliberately defective variants of the mock, each departing from the contract one way.

Each defect is a middleware over the real mock (plus, for one, a changed store), so
everything else stays correct and the contract suite must find exactly this departure.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiohttp import web

from mock_server._http import query as query_module
from mock_server._http import rendering
from mock_server.contract import spec

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Rewrite = Callable[[web.Request, bytes, str], tuple[bytes, str] | None]


@dataclass(frozen=True)
class Defect:
    """A departure from the contract and the words (a regex) the suite must report it with.

    rests_on names the assumption of the ledger the departure turns out to be about, when
    the docs leave the point open: the suite then reports it (contradicted) and fails only
    with --strict-assumptions.
    """

    name: str
    rewrite: Rewrite
    caught_as: str
    rests_on: str | None = None


def _middleware(
    rewrite: Rewrite,
) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    @web.middleware
    async def defect(request: web.Request, handler: Handler) -> web.StreamResponse:
        response = await handler(request)
        assert isinstance(response, web.Response) and response.body is not None
        changed = rewrite(request, bytes(response.body), response.content_type)
        if changed is None:
            return response
        body, content_type = changed
        return web.Response(
            body=body, status=response.status, content_type=content_type, charset="utf-8"
        )

    return defect


def _params(request: web.Request) -> dict[str, str]:
    return query_module.parse(request.rel_url.raw_query_string)


def _error(code: int, ctype: str) -> tuple[bytes, str]:
    """The mock's own body for an error code, in the format of ctype."""
    payload = {"success": False, "code": code, "message": spec.control_codes()[code].message["fr"]}
    fmt = "xml" if ctype.endswith("xml") else "json"
    return rendering.render(spec.ERROR, payload, fmt), ctype


def wrong_code(_: web.Request, body: bytes, ctype: str) -> tuple[bytes, str] | None:
    if b'"code":4,' in body:
        return body.replace(b'"code":4,', b'"code":3,'), ctype
    return None


def number_typed_message_id(_: web.Request, body: bytes, ctype: str) -> tuple[bytes, str] | None:
    changed = re.sub(rb'"messageId":"(\d+)"', rb'"messageId":\1', body)
    return (changed, ctype) if changed != body else None


def missing_cdata(_: web.Request, body: bytes, ctype: str) -> tuple[bytes, str] | None:
    changed = re.sub(rb"<!\[CDATA\[(.*?)\]\]>", rb"\1", body)
    return (changed, ctype) if changed != body else None


def keys_out_of_order(_: web.Request, body: bytes, ctype: str) -> tuple[bytes, str] | None:
    if not ctype.endswith("json") or b'"statut"' not in body:
        return None
    data = json.loads(body)
    reordered = {"statut": data.pop("statut"), **data}
    return json.dumps(reordered, separators=(",", ":")).encode(), ctype


def xml_as_json_content_type(_: web.Request, body: bytes, ctype: str) -> tuple[bytes, str] | None:
    return (body, "application/json") if ctype.endswith("xml") else None


def formats_disagree(_: web.Request, body: bytes, ctype: str) -> tuple[bytes, str] | None:
    if ctype.endswith("xml") and b"<entry>0.045</entry>" in body:
        return body.replace(b"<entry>0.045</entry>", b"<entry>0.05</entry>"), ctype
    return None


def unknown_key_before_missing_phone(
    request: web.Request, body: bytes, ctype: str
) -> tuple[bytes, str] | None:
    params = _params(request)
    if params.get("apiKey") and "phoneNumber" not in params and b'"code":2,' in body:
        return body.replace(b'"code":2,', b'"code":10,'), ctype
    return None


def plus_as_space_not_found(
    request: web.Request, body: bytes, ctype: str
) -> tuple[bytes, str] | None:
    if "+" in request.rel_url.raw_query_string and b'"success":true' in body:
        return _error(4, ctype)
    return None


def plus_as_space_not_found_in_any_format(
    request: web.Request, body: bytes, ctype: str
) -> tuple[bytes, str] | None:
    success = b'"success":true' in body or b"<result>\n  <entry>true</entry>" in body
    if "+" in request.rel_url.raw_query_string and success:
        return _error(4, ctype)
    return None


def server_error_on_xml(request: web.Request, body: bytes, ctype: str) -> tuple[bytes, str] | None:
    if ctype.endswith("xml"):
        raise web.HTTPBadGateway(
            text="<html><body>502 Bad Gateway</body></html>", content_type="text/html"
        )
    return None


def lenient_key(request: web.Request, body: bytes, ctype: str) -> tuple[bytes, str] | None:
    if b'"code":10,' in body and _params(request).get("messageId"):
        return _error(4, ctype)
    return None


DEFECTS = [
    Defect("wrong code", wrong_code, "Wrong control code|answers differ"),
    Defect("messageId as a number", number_typed_message_id, "does not conform|answers differ"),
    Defect("strings without CDATA", missing_cdata, "is not in its documented form"),
    # an XML query's JSON twin is out of order too: then the formats disagree
    Defect("JSON keys out of order", keys_out_of_order, "JSON keys out of documented order|differ"),
    Defect(
        "XML sent as application/json",
        xml_as_json_content_type,
        "Content-Type does not match|does not parse in its declared",
    ),
    Defect("XML and JSON disagree", formats_disagree, "answers differ"),
    Defect(
        "precedence 10 before 2",
        unknown_key_before_missing_phone,
        "Wrong control code|answers differ",
    ),
    # answers 4 in JSON only: its JSON and XML answers to one query disagree
    Defect("unencoded plus not found", plus_as_space_not_found, "Wrong control code|differ"),
    # a JSON query's XML twin is the 502 page: then it does not parse
    Defect("502 on XML", server_error_on_xml, "Server error|does not parse"),
    Defect("any API key accepted", lenient_key, "Wrong control code|answers differ"),
    # No page says which forms of a number find a message (reference 1.2: "no format is
    # stated"): not finding it by a raw '+' (read as a space) departs from the ledger's
    # 'phone-formats', not from the docs, when both formats agree.
    Defect(
        "unencoded plus not found in any format",
        plus_as_space_not_found_in_any_format,
        "Control code departs from the assumed one",
        "phone-formats",
    ),
]


def middleware(defect: Defect) -> Callable[[web.Request, Handler], Awaitable[web.StreamResponse]]:
    """The aiohttp middleware that introduces defect."""
    return _middleware(defect.rewrite)
