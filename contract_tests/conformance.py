"""Probing the assumption ledger against a target, and the conformance report.

Each assumption in schemas/assumptions.json whose id has a probe in PROBES is tested with a
few requests. The answer is compared with the ledger's decision: 'confirmed',
'contradicted', or 'not probed' with the reason. A contradicted assumption is a finding for
the ledger, not a contract failure; a probe's answer that breaks the documented contract
(schema, code) still fails the suite, through the checks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mock_server.contract import spec
from mock_server.redaction import redact_text

from . import oracle
from .checks import Exchange, run_checks
from .strategies import Query
from .target import Target
from .transport import Reply

ABSENT_ID = "999999999999"  # in the range of strategies.ABSENT_IDS: no real message has it
WRONG_KEY = "not-a-key-of-this-account"


@dataclass(frozen=True)
class Finding:
    """What one probe found about one assumption."""

    id: str
    question: str
    expected: str
    observed: str
    verdict: str  # "confirmed", "contradicted" or "not probed"


class Prober:
    """Sends probe queries to a target, each checked against the contract on the way."""

    def __init__(self, target: Target) -> None:
        self.target = target

    def send(self, *pairs: tuple[str, str], raw_plus: bool = False) -> tuple[Reply, Any]:
        query = Query(
            tuple((k, v.replace("{key}", self.target.api_key)) for k, v in pairs), raw_plus
        )
        reply = self.target.transport.get(query.raw())
        expected = (
            None
            if query.repeated
            else oracle.expected_code(query.params(), self.target.api_key, self.target.known)
        )
        run_checks(Exchange(query, reply, self.target, expected))
        return reply, reply.data()


def _code(data: Any) -> Any:
    return data.get("code") if isinstance(data, Mapping) else None


Probe = Callable[[Prober], tuple[str, str, bool | None]]


def _precedence(p: Prober) -> tuple[str, str, bool | None]:
    order = spec.assumed("message-status-code-precedence")
    pairs = [
        ("no apiKey, no phoneNumber", [("messageId", ABSENT_ID)]),
        ("no phoneNumber, no messageId", [("apiKey", "{key}")]),
        ("wrong apiKey, no phoneNumber", [("apiKey", WRONG_KEY), ("messageId", ABSENT_ID)]),
        ("wrong apiKey, no messageId", [("apiKey", WRONG_KEY), ("phoneNumber", "0600000000")]),
        (
            "wrong apiKey, unknown message",
            [("apiKey", WRONG_KEY), ("messageId", ABSENT_ID), ("phoneNumber", "0600000000")],
        ),
    ]
    observed = {name: _code(p.send(*query)[1]) for name, query in pairs}
    expected = {name: oracle.expected_code(dict(q), "{key}", None) for name, q in pairs}
    return f"order {order}: {expected}", str(observed), observed == expected


def _empty_parameter(p: Prober) -> tuple[str, str, bool | None]:
    _, data = p.send(("apiKey", ""), ("messageId", ABSENT_ID), ("phoneNumber", "0600000000"))
    expected = oracle.expected_code({"apiKey": ""}, "{key}", None)
    return f"code {expected} for apiKey=", f"code {_code(data)}", _code(data) == expected


def _error_http_status(p: Prober) -> tuple[str, str, bool | None]:
    reply, _ = p.send(("apiKey", "{key}"), ("messageId", ABSENT_ID), ("phoneNumber", "0600000000"))
    wanted = spec.assumed("error-http-status")
    return f"HTTP {wanted} for code 4", f"HTTP {reply.status}", str(reply.status) == wanted


def _format_answer(p: Prober, value: str, wanted: str) -> tuple[str, str, bool | None]:
    reply, _ = p.send(
        ("apiKey", WRONG_KEY),
        ("messageId", ABSENT_ID),
        ("phoneNumber", "0600000000"),
        ("_format", value),
    )
    media_type = spec.MEDIA_TYPES[wanted]
    return f"_format={value} answers {media_type}", reply.media_type, reply.media_type == media_type


def _format_case(p: Prober) -> tuple[str, str, bool | None]:
    return _format_answer(p, "Xml", "xml")


def _unknown_format(p: Prober) -> tuple[str, str, bool | None]:
    return _format_answer(p, "yaml", spec.assumed("unknown-format"))


def _known_lookups(p: Prober) -> dict[str, Any]:
    known = p.target.known
    assert known is not None
    found = {}
    for form, number in sorted(oracle.phone_forms(known.phone_number).items()):
        raw_plus = form == "unencoded-plus"
        _, found[form] = p.send(
            ("apiKey", "{key}"),
            ("messageId", known.message_id),
            ("phoneNumber", "+" + number.lstrip() if raw_plus else number),
            raw_plus=raw_plus,
        )
    return found


def _phone_formats(p: Prober) -> tuple[str, str, bool | None]:
    found = {form: _code(data) for form, data in _known_lookups(p).items()}
    return (
        f"code {oracle.success_code()} in every form",
        str(found),
        set(found.values()) == {oracle.success_code()},
    )


def _number_echo(p: Prober) -> tuple[str, str, bool | None]:
    numbers = {form: data.get("number") for form, data in _known_lookups(p).items()}
    same = len(set(numbers.values())) == 1
    return "the same stored number whatever form is sent", str(numbers), same


def _date_format(p: Prober) -> tuple[str, str, bool | None]:
    data = next(iter(_known_lookups(p).values()))
    wanted = spec.assumed("date-format")
    pattern = spec.schema(spec.OK)["definitions"][f"{wanted}Date"]["pattern"]
    date = str(data.get("date"))
    return (
        f"{wanted} form ({pattern})",
        repr(date),
        re.fullmatch(pattern.strip("^$"), date) is not None,
    )


def _message_language(p: Prober) -> tuple[str, str, bool | None]:
    _, data = p.send(("messageId", ABSENT_ID), ("phoneNumber", "0600000000"))
    lang = spec.assumed("message-language")
    wanted = (
        spec.control_codes()[_code(data)].message[lang]
        if _code(data) in spec.control_codes()
        else "?"
    )
    return f"{lang}: {wanted!r}", repr(data.get("message")), data.get("message") == wanted


def _repeated_parameter(p: Prober) -> tuple[str, str, bool | None]:
    _, data = p.send(
        ("apiKey", WRONG_KEY),
        ("apiKey", "{key}"),
        ("messageId", ABSENT_ID),
        ("phoneNumber", "0600000000"),
    )
    rule = spec.assumed("repeated-parameter")
    last = oracle.expected_code(
        {"apiKey": "{key}", "messageId": ABSENT_ID, "phoneNumber": "0600000000"}, "{key}", None
    )
    first = oracle.expected_code(
        {"apiKey": WRONG_KEY, "messageId": ABSENT_ID, "phoneNumber": "0600000000"}, "{key}", None
    )
    wanted = last if rule == "last" else first
    return f"the {rule} value counts (code {wanted})", f"code {_code(data)}", _code(data) == wanted


def _json_encoding(p: Prober) -> tuple[str, str, bool | None]:
    reply, data = p.send(("messageId", ABSENT_ID), ("phoneNumber", "0600000000"))
    options = spec.assumed("json-encoding")
    separators = (",", ":") if options["compact"] else (", ", ": ")
    wanted = json.dumps(data, ensure_ascii=options["ascii"], separators=separators).encode()
    return repr(wanted.decode()), repr(reply.raw.decode("utf-8", "replace")), reply.raw == wanted


def _xml_layout(p: Prober) -> tuple[str, str, bool | None]:
    reply, _ = p.send(("messageId", ABSENT_ID), ("phoneNumber", "0600000000"), ("_format", "xml"))
    layout = spec.assumed("xml-layout")
    text = reply.raw.decode("utf-8", "replace")
    lines = text.split(layout["newline"]) if layout["newline"] else [text]
    entries = [line for line in lines if "<entry>" in line]
    ok = bool(entries) and all(
        line.startswith(layout["indent"] + "<entry>") and line == line.rstrip() and "> " not in line
        for line in entries
    )
    return f"entries on their own lines, indent {layout['indent']!r}", repr(text[:200]), ok


PROBES: dict[str, tuple[Probe, bool]] = {
    # id: (probe, needs the known message)
    "message-status-code-precedence": (_precedence, False),
    "empty-parameter": (_empty_parameter, False),
    "error-http-status": (_error_http_status, False),
    "format-case": (_format_case, False),
    "unknown-format": (_unknown_format, False),
    "phone-formats": (_phone_formats, True),
    "number-echo": (_number_echo, True),
    "date-format": (_date_format, True),
    "message-language": (_message_language, False),
    "repeated-parameter": (_repeated_parameter, False),
    "json-encoding": (_json_encoding, False),
    "xml-layout": (_xml_layout, False),
}

NOT_PROBED = {
    "date-timezone": "needs a message sent at a known time; compare its date by hand",
    "undocumented-requests": "live safety: the suite sends nothing but GET /message-status",
}


def probe_all(target: Target) -> list[Finding]:
    """Probe every assumption of the ledger against target."""
    prober = Prober(target)
    findings = []
    for entry in spec.assumptions().values():
        probe, needs_known = PROBES.get(entry.id, (None, False))
        if probe is None:
            reason = NOT_PROBED.get(entry.id, "no probe yet")
            findings.append(Finding(entry.id, entry.question, entry.decision, reason, "not probed"))
        elif needs_known and target.known is None:
            reason = "needs SMSPARTNER_MESSAGE_ID and SMSPARTNER_PHONE_NUMBER"
            findings.append(Finding(entry.id, entry.question, entry.decision, reason, "not probed"))
        else:
            expected, observed, ok = probe(prober)
            verdict = "confirmed" if ok else "contradicted"
            findings.append(Finding(entry.id, entry.question, expected, observed, verdict))
    return findings


def write_report(
    path: Path, target: Target, findings: list[Finding], secrets: list[str]
) -> tuple[Path, Path]:
    """Write PATH.json and PATH.md (API keys scrubbed); returns both paths."""
    stem = path.with_suffix("") if path.suffix in (".json", ".md") else path
    generated = datetime.now(timezone.utc).isoformat(timespec="seconds")
    document = {
        "target": target.base_url,
        "generated": generated,
        "summary": {
            v: sum(f.verdict == v for f in findings)
            for v in ("confirmed", "contradicted", "not probed")
        },
        "assumptions": [asdict(f) for f in findings],
    }
    rows = [
        f"| {f.id} | {f.verdict} | {_cell(f.expected)} | {_cell(f.observed)} |" for f in findings
    ]
    markdown = "\n".join(
        [
            "# Conformance report",
            "",
            f"Target: {target.base_url}  ",
            f"Generated: {generated}  ",
            "Summary: " + ", ".join(f"{n} {v}" for v, n in document["summary"].items()),
            "",
            "| assumption | verdict | expected (ledger) | observed |",
            "|---|---|---|---|",
            *rows,
            "",
        ]
    )
    json_path, md_path = stem.with_suffix(".json"), stem.with_suffix(".md")
    stem.parent.mkdir(parents=True, exist_ok=True)
    json_path.write_text(
        redact_text(json.dumps(document, indent=2, ensure_ascii=False), secrets) + "\n"
    )
    md_path.write_text(redact_text(markdown, secrets))
    return json_path, md_path


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
