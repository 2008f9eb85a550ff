"""The OpenAPI 3.0 document of the mock, generated from schemas/ (never written by hand).

Each operation of schemas/operations.json becomes a path; its query schema becomes query
parameters; its success and error schemas become the components of the JSON answers. An XML
answer is described as what it is on the wire, a string: its positional layout, derived from
the same body schemas, is spelled out in the description, and the examples show it. Examples
come from the fixtures and the control-code catalogue. Draft-07 schemas are translated to
OpenAPI 3.0 schema objects: local '#/definitions/x' references move to
'#/components/schemas/<schema>.x', and 'const' becomes a one-value 'enum'.
"""

from __future__ import annotations

import json
from importlib.metadata import PackageNotFoundError, metadata
from typing import Any

from mock_server._http import rendering
from mock_server.contract import spec

OPENAPI_VERSION = "3.0.3"
DISTRIBUTION = "smspartner-contract-kit"
_DROPPED = ("$schema", "$id", "definitions", "title")


def _translate(node: Any, owner: str) -> Any:
    if isinstance(node, dict):
        out: dict[str, Any] = {}
        for key, value in node.items():
            if key in _DROPPED:
                continue
            if key == "$ref":
                out[key] = f"#/components/schemas/{owner}.{value.rsplit('/', 1)[1]}"
            elif key == "const":
                out["enum"] = [value]
            elif key == "properties":
                out[key] = {name: _translate(sub, owner) for name, sub in value.items()}
            else:
                out[key] = _translate(value, owner)
        return out
    if isinstance(node, list):
        return [_translate(item, owner) for item in node]
    return node


def _components(names: list[str], definitions_only: set[str]) -> dict[str, Any]:
    components: dict[str, Any] = {}
    for name in names:
        schema = spec.schema(name)
        if name not in definitions_only:
            components[name] = _translate(schema, name)
        for sub, definition in schema.get("definitions", {}).items():
            components[f"{name}.{sub}"] = _translate(definition, name)
    return components


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _parameters(query: str) -> list[dict[str, Any]]:
    schema = spec.schema(query)
    required = set(schema.get("required", ()))
    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "description": prop.get("description", ""),
            "schema": _translate({k: v for k, v in prop.items() if k != "description"}, query),
        }
        for name, prop in schema["properties"].items()
    ]


def _examples(op: spec.Operation, codes: list[spec.ControlCode]) -> dict[str, dict[str, Any]]:
    """{media type: {example name: {'value': ...}}} from the fixtures and the catalogue."""
    lang = spec.assumed("message-language")
    bodies: dict[str, tuple[str, dict[str, Any]]] = {}
    for example in op.examples:
        found = spec.fixture_value(example["file"], example["pointer"])
        bodies[example["summary"]] = (op.ok, {**spec.constants(op.ok), **found})
    for code in codes:
        if not code.success and code.shape == "message":
            payload = {**spec.constants(op.error), "code": code.code, "message": code.message[lang]}
            bodies[f"code {code.code}"] = (op.error, payload)
    examples: dict[str, dict[str, Any]] = {}
    for fmt, media_type in spec.MEDIA_TYPES.items():
        examples[media_type] = {}
        for name, (schema_name, payload) in bodies.items():
            raw = rendering.render(schema_name, payload, fmt).decode("utf-8")
            value = json.loads(raw) if fmt == "json" else raw
            examples[media_type][name] = {"summary": name, "value": value}
    return examples


def _resolve(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = root["definitions"][node["$ref"].rsplit("/", 1)[1]]
    return node


def _fields(node: dict[str, Any], root: dict[str, Any]) -> str:
    """An object's fields in wire order, each followed by the layout of its children."""
    words = []
    for key, prop in node["properties"].items():
        child = _resolve(prop, root)
        if "properties" in child:
            named = "named: " if prop.get("x-xml", {}).get("named") is True else ""
            key += f" [{named}{_fields(child, root)}]"
        elif child.get("type") == "array":
            item = _resolve(child["items"], root)
            shapes = [_resolve(alt, root) for alt in item.get("anyOf", [item])]
            layouts = " or ".join(f"[{_fields(shape, root)}]" for shape in shapes)
            key += f" [one <entry> per item: {layouts}]"
        words.append(key)
    return ", ".join(words)


def _xml_layout(names: list[str]) -> str:
    """The positional layout of the XML answer that carries one of these body schemas."""
    layouts = []
    for name in names:
        layout = f"{name}: {_fields(spec.schema(name), spec.schema(name))}"
        plain = sorted(spec.plain_text_fields(name))
        layouts.append(layout + (f" ({', '.join(plain)} without CDATA)" if plain else ""))
    return (
        "The documented positional XML, as a string: element names do not name the fields. "
        "<result> holds one <entry> per field of the JSON body, in the order listed below "
        "(absent fields are skipped); an object or a list holds <entry> children the same "
        "way, or children named after its fields where marked 'named'; booleans are "
        "true/false, numbers bare, strings in CDATA. To read it, decode it by position with "
        "the body schema of the same name (success or error, as for the JSON body), then "
        f"validate it as JSON. Layouts: {'; '.join(layouts)}."
    )


def _content(names: list[str], examples: dict[str, Any] | None = None) -> dict[str, Any]:
    """JSON answers by the body schemas' components; XML answers as strings."""
    json_schema = _ref(names[0]) if len(names) == 1 else {"oneOf": [_ref(n) for n in names]}
    schemas = {
        spec.MEDIA_TYPES["json"]: json_schema,
        spec.MEDIA_TYPES["xml"]: {"type": "string", "description": _xml_layout(names)},
    }
    content = {}
    for media_type, schema in schemas.items():
        entry: dict[str, Any] = {"schema": schema}
        if examples:
            entry["examples"] = examples[media_type]
        content[media_type] = entry
    return content


def _operation(op: spec.Operation) -> dict[str, Any]:
    codes = list(spec.control_codes(op.id).values())
    errors = [name for name in (op.error, op.invalid) if name]
    by_status: dict[int, list[int]] = {}
    for code in codes:
        if not code.success:
            by_status.setdefault(code.http_status, []).append(code.code)
    responses: dict[str, Any] = {
        "200": {
            "description": "A documented outcome: the success body, or an error body "
            "with its control code.",
            "content": _content([op.ok, *errors], _examples(op, codes)),
        }
    }
    documented = {code.http_status for code in codes if code.status_documented}
    for status, numbers in sorted(by_status.items()):
        when = "Always (a documented status)" if status in documented else "With --error-status 4xx"
        responses[str(status)] = {
            "description": f"{when}: control code(s) {numbers}.",
            "content": _content(errors),
        }
    operation: dict[str, Any] = {
        "operationId": op.id,
        "summary": op.summary,
        "description": op.description + " Sources: " + "; ".join(op.sources) + ".",
        "parameters": _parameters(op.query) if op.query else [],
    }
    if op.body:
        body = {"application/json": {"schema": _ref(op.body)}}
        operation["requestBody"] = {"required": True, "content": body}
    return {**operation, "responses": responses}


def document() -> dict[str, Any]:
    """The whole OpenAPI document, as JSON-like data."""
    api = spec.api()
    ops = spec.operations()
    names = sorted({n for op in ops for n in (op.query, op.body, op.ok, op.error, op.invalid) if n})
    names.append(spec.HTTP_ERROR)
    # query schemas become parameters; only their definitions are referenced as components
    queries = {op.query for op in ops if op.query}
    paths: dict[str, Any] = {}
    for op in ops:
        item = paths.setdefault(op.path, {})
        item[op.method.lower()] = _operation(op)
        item[op.method.lower()]["responses"]["405"] = {
            "description": "Another method on a known path (the mock's answer; undocumented).",
            "content": _content([spec.HTTP_ERROR]),
        }
    version, licence = _package()
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": api["title"],
            "version": version,
            "description": api["description"],
            # OpenAPI 3.0 has no SPDX 'identifier' (3.1 has): the SPDX page stands for it
            "license": {"name": licence, "url": f"https://spdx.org/licenses/{licence}.html"},
        },
        "servers": [{"url": api["server"]}],
        "paths": paths,
        "components": {"schemas": _components(names, queries)},
    }


def _package() -> tuple[str, str]:
    """Version and licence as pyproject.toml declares them (read from the package metadata)."""
    try:
        found = metadata(DISTRIBUTION)
    except PackageNotFoundError:  # pragma: no cover - running from a bare checkout
        return "0+unknown", "see pyproject.toml"
    return found["Version"], found["License-Expression"]


def render() -> str:
    """The document as the text committed in openapi.json."""
    return json.dumps(document(), indent=2, ensure_ascii=False) + "\n"
