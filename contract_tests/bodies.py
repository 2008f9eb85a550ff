"""Answer bodies per operation: which schema a body must satisfy, and the XML read back by it.

The documented XML is positional: a <result> root, one <entry> per field in the order of the
schema's 'properties', lists as nested <entry> items, objects as nested entries (or as named
children where the schema says x-xml {"named": true}), strings in CDATA (plain text where
the schema says x-xml {"cdata": false}), booleans true/false and numbers bare. Names and
types are not in the document, so it is read by walking the body schema of the operation
that answered: each entry takes its name and type from the schema.

Where the XML cannot tell two optional fields apart (same place, same type: me's
creditSmsECO and creditSmsLowCost, send's 'errors' and 'error'), the earliest field in the
schema's order wins, which is the name the mock sends.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any
from xml.parsers import expat

from mock_server.contract import spec

# Deeper documents are refused rather than walked: no answer body nests more than 4 levels.
MAX_DEPTH = 64
# How many ways of naming a positional object's entries are tried before the first is kept.
MAX_PLACEMENTS = 16
# Whitespace that lays the document out. A carriage return is never layout: XML reads a raw
# one as \n, so a \r in character data came from &#13; and belongs to the text.
LAYOUT = " \t\n"
_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?")


def operation_at(method: str, path: str) -> str | None:
    """The id of the operation served at method and path ('/me'), or None for any other."""
    wanted = (method.upper(), path)
    return next((op.id for op in spec.operations() if (op.method, op.path) == wanted), None)


def _operation(operation: str) -> spec.Operation:
    return next(op for op in spec.operations() if op.id == operation)


def body_schema(operation: str | None, data: Any) -> str:
    """The schema a decoded answer of operation must satisfy: its ok, error or invalid one.

    An error whose code lists field errors (send's code 9) has the operation's '.invalid'
    schema; an answer to a request outside every operation has the http-error schema.
    """
    if operation is None:
        return spec.HTTP_ERROR
    op = _operation(operation)
    body = data if isinstance(data, Mapping) else {}
    if body.get("success") is True:
        return op.ok
    code = body.get("code")
    row = spec.control_codes(operation).get(code) if type(code) is int else None
    return op.invalid if op.invalid and row and row.shape == "errors" else op.error


# --- the XML tree --------------------------------------------------------------------------


@dataclass
class _Element:
    tag: str
    children: list[_Element] = field(default_factory=list)
    chunks: list[tuple[str, bool]] = field(default_factory=list)  # (text, inside CDATA)
    cdata: bool = False

    def add(self, text: str, in_cdata: bool) -> None:
        if self.chunks and self.chunks[-1][1] == in_cdata:
            self.chunks[-1] = (self.chunks[-1][0] + text, in_cdata)
        else:
            self.chunks.append((text, in_cdata))

    @property
    def text(self) -> str:
        """The character data; layout whitespace around CDATA sections is not part of it."""
        if not self.cdata:
            return "".join(text for text, _ in self.chunks)
        return "".join(text for text, in_cdata in self.chunks if in_cdata or text.strip(LAYOUT))

    @property
    def blank(self) -> bool:
        return not self.children and not self.cdata and not self.text.strip(LAYOUT)


def _parse(raw: bytes) -> _Element:
    parser = expat.ParserCreate()
    parser.buffer_text = True
    stack: list[_Element] = []
    top: list[_Element] = []
    in_cdata = False

    def start(tag: str, _: Any) -> None:
        if len(stack) >= MAX_DEPTH:
            raise ValueError(f"XML nested deeper than {MAX_DEPTH} levels")
        element = _Element(tag)
        (stack[-1].children if stack else top).append(element)
        stack.append(element)

    def characters(text: str) -> None:
        if stack:
            stack[-1].add(text, in_cdata)

    def start_cdata() -> None:
        nonlocal in_cdata
        in_cdata = True
        stack[-1].cdata = True

    def end_cdata() -> None:
        nonlocal in_cdata
        in_cdata = False

    def doctype(*_: Any) -> None:
        raise ValueError("XML with a DOCTYPE (the documented XML has none)")

    parser.StartElementHandler = start
    parser.EndElementHandler = lambda _: stack.pop()
    parser.CharacterDataHandler = characters
    parser.StartCdataSectionHandler = start_cdata
    parser.EndCdataSectionHandler = end_cdata
    parser.StartDoctypeDeclHandler = doctype
    try:
        parser.Parse(raw, True)
    except expat.ExpatError as exc:
        raise ValueError(f"Malformed XML: {exc}") from exc
    return top[0]


def _written(value: Any) -> str:
    """How a non-string scalar is written: true/false, null, or the JSON number."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value)


def _cast(text: str, kind: str) -> Any:
    """text as a value of JSON type kind; as written when it is not one, for validation to
    report."""
    if kind == "string":
        return text
    bare = text.strip(LAYOUT + "\r")
    if kind in ("integer", "number") and (number := _NUMBER.fullmatch(bare)):
        try:
            return float(bare) if number.group(1) or number.group(2) else int(bare)
        except ValueError:  # more digits than int() converts
            return text
    if kind == "boolean" and bare in ("true", "false"):
        return bare == "true"
    if kind == "null" and bare == "null":
        return None
    return text


def _untyped(element: _Element) -> Any:
    """An element the schema says nothing of, read by its form alone."""
    if element.children:
        if all(child.tag == "entry" for child in element.children):
            return [_untyped(child) for child in element.children]
        named: dict[str, Any] = {}
        for index, child in enumerate(element.children):
            named[child.tag if child.tag not in named else f"{child.tag}[{index}]"] = _untyped(
                child
            )
        return named
    text = element.text
    if element.cdata:
        return text
    for kind in ("boolean", "number", "null"):
        value = _cast(text, kind)
        if value is not text:
            return value
    return text


@dataclass(frozen=True)
class Leaf:
    """One scalar read from the XML: where it is, its value, and how it was written."""

    path: str
    value: Any
    text: str
    in_cdata: bool
    plain: bool  # the schema wants the string without CDATA (x-xml {"cdata": false})

    @property
    def documented_form(self) -> bool:
        """Strings in CDATA (plain text where marked), everything else bare."""
        if isinstance(self.value, str):
            return self.in_cdata != self.plain
        return not self.in_cdata


@dataclass(frozen=True)
class XmlBody:
    """A positional XML answer read by its schema: the schema, the data and every scalar."""

    schema: str
    data: Any
    leaves: tuple[Leaf, ...]


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


# --- the schema walk -----------------------------------------------------------------------


def _merge(base: Mapping[str, Any], branch: Mapping[str, Any]) -> dict[str, Any]:
    merged = {**base, **branch}
    if "required" in base and "required" in branch:
        merged["required"] = list(dict.fromkeys([*base["required"], *branch["required"]]))
    if "properties" in base and "properties" in branch:
        merged["properties"] = {**base["properties"], **branch["properties"]}
    return merged


class _Schema:
    """One body schema, walked node by node ($ref resolved, allOf folded, choices listed)."""

    def __init__(self, name: str) -> None:
        self.root = spec.schema(name)
        self.validator = spec.validator_for(name)

    def node(self, node: Any) -> dict[str, Any]:
        for _ in range(MAX_DEPTH):
            if not isinstance(node, Mapping) or "$ref" not in node:
                break
            target: Any = self.root
            for part in node["$ref"].removeprefix("#").split("/")[1:]:
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        normal = dict(node) if isinstance(node, Mapping) else {}
        for part in normal.pop("allOf", []):
            normal = _merge(normal, self.node(part))
        return normal

    def choices(self, node: dict[str, Any]) -> list[dict[str, Any]] | None:
        """The alternatives a node offers (anyOf, oneOf, a list of types), or None."""
        for keyword in ("anyOf", "oneOf"):
            if keyword in node:
                rest = {k: v for k, v in node.items() if k != keyword}
                return [self.node(_merge(rest, self.node(b))) for b in node[keyword]]
        if isinstance(node.get("type"), list):
            return [{**node, "type": kind} for kind in node["type"]]
        return None

    def valid(self, node: Mapping[str, Any], value: Any) -> bool:
        return bool(self.validator.evolve(schema=node).is_valid(value))

    def pick(self, node: dict[str, Any], value: Any) -> dict[str, Any]:
        """The node, or the first of its alternatives value satisfies (else the first)."""
        choices = self.choices(node)
        if not choices:
            return node
        return next((c for c in choices if self.valid(c, value)), choices[0])


_SCHEMAS: dict[str, _Schema] = {}


def _schema(name: str) -> _Schema:
    """The walker of a body schema, built again when spec has loaded the schema anew."""
    walker = _SCHEMAS.get(name)
    if walker is None or walker.validator is not spec.validator_for(name):
        walker = _SCHEMAS[name] = _Schema(name)
    return walker


Read = tuple[Any, list[Leaf]]


def _placements(names: list[str], required: set[str], count: int) -> Iterator[tuple[str, ...]]:
    """Ways to name count entries in schema order with every required name, earliest first."""
    if count >= len(names) or count < len(required & set(names)):
        yield tuple(names[:count])
        return
    needed = [sum(1 for name in names[i:] if name in required) for i in range(len(names) + 1)]

    def walk(start: int, left: int) -> Iterator[tuple[str, ...]]:
        if left == 0:
            if needed[start] == 0:
                yield ()
            return
        if len(names) - start < left or needed[start] > left:
            return
        for rest in walk(start + 1, left - 1):
            yield (names[start], *rest)
        if names[start] not in required:
            yield from walk(start + 1, left)

    yield from walk(0, count)


class _Reader:
    def __init__(self, schema: _Schema) -> None:
        self.schema = schema

    def best(self, candidates: Iterable[tuple[dict[str, Any], Read]]) -> Read:
        """The first candidate that is valid and in documented form, else the first valid one,
        else the first."""
        first: Read | None = None
        first_valid: Read | None = None
        for node, read in candidates:
            first = first or read
            if self.schema.valid(node, read[0]):
                if all(leaf.documented_form for leaf in read[1]):
                    return read
                first_valid = first_valid or read
        assert first is not None, "a node has at least one reading"
        return first_valid or first

    def read(self, element: _Element, node: Any, path: str) -> Read:
        normal = self.schema.node(node)
        choices = self.schema.choices(normal)
        if choices:
            return self.best((c, self.read(element, c, path)) for c in choices)
        kind = normal.get("type")
        if kind == "object" or (kind is None and "properties" in normal):
            return self.object(element, normal, path)
        if kind == "array" or (kind is None and "items" in normal):
            return self.array(element, normal, path)
        if element.children:
            return _untyped(element), []
        return self.scalar(element, normal, path)

    def object(self, element: _Element, node: dict[str, Any], path: str) -> Read:
        if not element.children and not element.blank:
            return element.text, []  # text where an object is documented
        props: Mapping[str, Any] = node.get("properties", {})
        if node.get("x-xml", {}).get("named") is True:
            return self.named(element, props, path)
        entries = [child for child in element.children if child.tag == "entry"]
        placements = _placements(list(props), set(node.get("required", ())), len(entries))
        first, *others = itertools.islice(placements, MAX_PLACEMENTS)
        if not others:  # one way to name the entries: nothing to choose
            return self.positional(element, props, first, path)
        return self.best(
            (node, self.positional(element, props, names, path)) for names in (first, *others)
        )

    def positional(
        self, element: _Element, props: Mapping[str, Any], names: tuple[str, ...], path: str
    ) -> Read:
        value: dict[str, Any] = {}
        leaves: list[Leaf] = []
        position = 0
        for index, child in enumerate(element.children):
            if child.tag != "entry":
                value[f"{child.tag}[{index}]"] = _untyped(child)
            elif position < len(names):
                key = names[position]
                value[key], found = self.read(child, props[key], _join(path, key))
                leaves += found
                position += 1
            else:  # kept under its position, so that schema validation reports it
                value[f"entry[{index}]"] = _untyped(child)
        return value, leaves

    def named(self, element: _Element, props: Mapping[str, Any], path: str) -> Read:
        value: dict[str, Any] = {}
        leaves: list[Leaf] = []
        for index, child in enumerate(element.children):
            if child.tag in props and child.tag not in value:
                value[child.tag], found = self.read(child, props[child.tag], _join(path, child.tag))
                leaves += found
            else:
                value[child.tag if child.tag not in value else f"{child.tag}[{index}]"] = _untyped(
                    child
                )
        return value, leaves

    def array(self, element: _Element, node: dict[str, Any], path: str) -> Read:
        if not element.children and not element.blank:
            return element.text, []  # text where a list is documented
        items = node.get("items", {})
        extra = node.get("additionalItems", {})
        value: list[Any] = []
        leaves: list[Leaf] = []
        for index, child in enumerate(element.children):
            if isinstance(items, list):
                schema = items[index] if index < len(items) else extra
            else:
                schema = items
            item, found = self.read(child, schema, f"{path}[{index}]")
            value.append(item)
            leaves += found
        return value, leaves

    def scalar(self, element: _Element, node: dict[str, Any], path: str) -> Read:
        plain = node.get("x-xml", {}).get("cdata") is False
        value = _value(element, node, plain)
        return value, [Leaf(path, value, element.text, element.cdata, plain)]


def _value(element: _Element, node: Mapping[str, Any], plain: bool) -> Any:
    text = element.text
    if "const" in node or "enum" in node:
        options = [node["const"]] if "const" in node else list(node["enum"])
        bare = text.strip(LAYOUT)
        fitting = [o for o in options if (o == text if isinstance(o, str) else _written(o) == bare)]
        if fitting:
            # "1" and 1 are both written 1: CDATA (or the plain-text mark) tells which
            string_form = element.cdata or plain
            return next((o for o in fitting if isinstance(o, str) == string_form), fitting[0])
    kind = node.get("type")
    return _cast(text, kind) if isinstance(kind, str) else _untyped(element)


def read_xml(raw: bytes, operation: str | None) -> XmlBody:
    """The documented positional XML of an answer of operation, read by its body schema.

    The first <entry> (success) and the second (the code) select the schema, as
    body_schema() does for JSON; each entry then takes the name and type of its field.
    Surplus entries keep a name like 'entry[10]' so that schema validation reports them.
    Raises ValueError (and nothing else) when raw is not an XML document with a <result>
    root.
    """
    root = _parse(raw)
    if root.tag != "result" or (not root.children and not root.blank):
        raise ValueError("XML root is not <result> with <entry> children")
    entries = [child for child in root.children if child.tag == "entry"]
    probe = {key: _untyped(entry) for key, entry in zip(("success", "code"), entries, strict=False)}
    name = body_schema(operation, probe)
    schema = _schema(name)
    data, leaves = _Reader(schema).read(root, schema.root, "")
    return XmlBody(name, data, tuple(leaves))


def decode_xml(raw: bytes, operation: str | None) -> Any:
    """The positional XML answer of operation as the equivalent JSON data (see read_xml)."""
    return read_xml(raw, operation).data


# --- comparing bodies ----------------------------------------------------------------------


def xml_view(data: Any, schema_name: str) -> Any:
    """What the positional XML shows of a body: its values and their JSON types, in order,
    with names only where the XML has them (named children).

    Two bodies with the same view have the same XML, so a JSON answer and an XML one agree
    when their views are equal, whichever of two indistinguishable names the JSON uses.
    """
    schema = _schema(schema_name)

    def view(value: Any, node: Any) -> Any:
        normal = schema.pick(schema.node(node), value)
        if isinstance(value, Mapping):
            props = normal.get("properties", {})
            if normal.get("x-xml", {}).get("named") is True:
                return ("named", tuple((k, view(v, props.get(k, {}))) for k, v in value.items()))
            return ("entries", tuple(view(v, props.get(k, {})) for k, v in value.items()))
        if isinstance(value, list):
            items = normal.get("items", {})
            item = items if isinstance(items, Mapping) else {}
            return ("list", tuple(view(v, item) for v in value))
        return (type(value).__name__, value)

    return view(data, schema.root)


def misordered(data: Any, schema_name: str) -> tuple[str, list[str], list[str]] | None:
    """The first object whose keys are out of its schema's order: (path, keys, order)."""
    schema = _schema(schema_name)

    def walk(value: Any, node: Any, path: str) -> tuple[str, list[str], list[str]] | None:
        normal = schema.pick(schema.node(node), value)
        if isinstance(value, Mapping):
            props = normal.get("properties", {})
            keys = [k for k in value if k in props]
            order = [k for k in props if k in value]
            if keys != order:
                return path or "$", list(value), list(props)
            children = ((v, props[k], _join(path, k)) for k, v in value.items() if k in props)
        elif isinstance(value, list):
            items = normal.get("items", {})
            node_of = items if isinstance(items, Mapping) else {}
            children = ((v, node_of, f"{path}[{i}]") for i, v in enumerate(value))
        else:
            return None
        return next(filter(None, (walk(*child) for child in children)), None)

    return walk(data, schema.root, "")
