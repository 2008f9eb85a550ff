"""Probing the assumption ledger against a target, and the conformance report.

Each assumption of schemas/assumptions.json that can be measured safely has a probe here: a
few requests whose answers are read as a value of the ledger entry's form (an order of
codes, a format, a rule), compared with the value in force (the ledger's, or the
calibration's given with --calibration). A probe never raises on a departure: it records
the requests it sent (status, code, body excerpt) and its verdict, confirmed, contradicted
(with the observed value) or not probed (with the reason). Only a documented-contract
violation or a transport failure is an error; it is listed, the report is still written,
and the run fails.

Read-only operations (message-status, bulk-status, multi-status, me, an unknown path) are
always probed. Sends only with --allow-sandbox-sends, and only with sandbox=1, which the
docs say sends nothing and costs nothing; every send that could succeed goes to the user's
own --phone-number. Cancelling is never probed: it changes the account.
"""

from __future__ import annotations

import http.client
import json
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from mock_server.contract import spec
from mock_server.redaction import redact_text

from . import oracle
from .checks import ContractViolation, Exchange, run_checks
from .receivers import Receiver
from .strategies import Query
from .target import Target
from .transport import LOOKUP as LOOKUP_REQUEST
from .transport import BudgetExhausted, Reply
from .verdicts import MISSING, Evidence, Finding, Verdicts

ABSENT_ID = "999999999999"  # in the range of strategies.ABSENT_IDS: no real message has it
WRONG_KEY = "not-a-key-of-this-account"
SOME_PHONE = "0600000000"  # in requests that fail before any number is looked up or sent
KEY = "{key}"  # stands for the target's API key until the request is sent
SANDBOX_TEXT = "SMS Partner contract kit: sandbox probe"
UNUSED_TAG = "smspartner-contract-kit-unused-tag"  # no message of an account carries it
ABSENT_VALUES = {"messageId": ABSENT_ID, "tag": UNUSED_TAG}

CANCEL_REASON = (
    "would send GET /v1/message-cancel, which cancels a message: the suite never sends it"
)
SANDBOX_REASON = (
    "needs --allow-sandbox-sends (POST /v1/send with sandbox=1, which the docs say sends "
    "nothing and costs nothing)"
)
KNOWN_REASON = "needs a message the target holds: --message-id and --phone-number"


class NotProbed(Exception):
    """A probe that could not measure its assumption, and why."""


@dataclass
class Observation:
    """What a probe saw: in words, and as a value of the ledger entry's form when it is one.

    confirmed decides the verdict of an observation without a value (None: contradicted).
    """

    expected: str
    observed: str
    value: Any = MISSING
    confirmed: bool | None = None


class Prober:
    """Sends a probe's requests: each answer is checked against the documented contract
    only, and recorded as evidence."""

    def __init__(
        self,
        target: Target,
        *,
        sandbox_sends: bool = False,
        wait: float = 30.0,
        receiver: Receiver | None = None,
        receiver_url: str | None = None,
    ):
        self.target = target
        self.sandbox_sends = sandbox_sends
        self.wait = wait
        self.evidence: list[Evidence] = []
        self._sent: dict[str, Any] | None = None
        self._final: Any = None
        # where the target's delivery receipts reach us: a loopback receiver, at its own URL
        # for a loopback target, else at receiver_url (a tunnel the user runs to it)
        self.receiver = receiver
        self.receiver_url = receiver_url

    def _fill(self, value: Any) -> Any:
        if isinstance(value, str):
            return value.replace(KEY, self.target.api_key)
        if isinstance(value, dict):
            return {k: self._fill(v) for k, v in value.items()}
        return value

    def _record(self, reply: Reply, data: Any) -> None:
        code = data.get("code") if isinstance(data, Mapping) else None
        excerpt = self.target.transport.redact(reply.raw[:200].decode("utf-8", "replace"))
        self.evidence.append(Evidence(reply.request, reply.status, code, excerpt))

    def get(
        self, path: str, *pairs: tuple[str, str], raw_plus: bool = False, check: bool = True
    ) -> tuple[Reply, Any]:
        """GET path with the query pairs ({key} is the target's key); (reply, body)."""
        query = Query(tuple((k, self._fill(v)) for k, v in pairs), raw_plus)
        reply = self.target.transport.get(query.raw(), path=path)
        return reply, self._checked(query, reply, check)

    def post(self, path: str, body: Any, *, check: bool = True) -> tuple[Reply, Any]:
        """POST a JSON body (bytes as they are); (reply, body)."""
        reply = self.target.transport.post(path, self._fill(body))
        return reply, self._checked(Query(()), reply, check)

    def _checked(self, query: Query, reply: Reply, check: bool) -> Any:
        data: Any = None
        if check:
            run_checks(Exchange(query, reply, self.target))
            data = reply.data()
        else:
            try:
                data = reply.data()
            except (ValueError, UnicodeDecodeError):
                data = None
        self._record(reply, data)
        return data

    def sandbox_send(self) -> dict[str, Any]:
        """One sandbox send to the known number, and what followed: its answer, /v1/me
        before and after, its status at once (and the time it was asked)."""
        if self._sent is None:
            phone = self.known().phone_number
            _, before = self.get("/me", ("apiKey", KEY))
            started = time.time()
            body = {"apiKey": KEY, "phoneNumbers": phone, "message": SANDBOX_TEXT, "sandbox": 1}
            if self.receiver_url:
                body["urlDlr"] = self.receiver_url
            _, answer = self.post("/send", body)
            if not (isinstance(answer, Mapping) and answer.get("success") is True):
                raise NotProbed(f"the sandbox send was refused: {json.dumps(answer)[:200]}")
            _, after = self.get("/me", ("apiKey", KEY))
            status = self.status(str(answer["message_id"]), phone)
            self._sent = {
                "answer": answer,
                "before": before,
                "after": after,
                "status": status,
                "started": started,
            }
        return self._sent

    def status(self, message_id: str, phone: str) -> Any:
        _, data = self.get(
            "/message-status", ("apiKey", KEY), ("messageId", message_id), ("phoneNumber", phone)
        )
        return data

    def known(self) -> Any:
        if self.target.known is None:
            raise NotProbed(KNOWN_REASON)
        return self.target.known


def _code(data: Any) -> Any:
    return data.get("code") if isinstance(data, Mapping) else None


def _faults(
    operation: str, present: Mapping[str, Any], conditions: Iterable[str]
) -> frozenset[int]:
    """The codes of operation whose fault a request has: present holds the parameters given
    (apiKey as KEY when right), conditions the operation's own trigger kinds that hold."""
    out: set[int] = set()
    held = set(conditions)
    for code in spec.control_codes(operation).values():
        kind = code.trigger["kind"]
        if (
            (kind == "missing" and code.trigger["parameter"] not in present)
            or (kind == "unknown-api-key" and present.get("apiKey") != KEY)
            or kind in held
        ):
            out.add(code.code)
    return frozenset(out)


def _order(operation: str, observations: list[tuple[frozenset[int], Any]]) -> Observation:
    assumed = spec.assumed(spec.precedence_id(operation))
    seen = [(sorted(faults), code) for faults, code in observations]
    ints = [(faults, code) for faults, code in observations if type(code) is int]
    order = oracle.order_from(ints, operation) if len(ints) == len(observations) else None
    described = "; ".join(f"faults {f} answered {c!r}" for f, c in seen)
    if order is None:
        return Observation(f"order {assumed}", f"no order explains: {described}")
    return Observation(f"order {assumed}", f"order {order} ({described})", order)


def _status_precedence(p: Prober) -> Observation:
    observations = []
    for key in ("absent", WRONG_KEY, KEY):
        for phone in (False, True):
            for message_id in (None, ABSENT_ID):
                pairs = [] if key == "absent" else [("apiKey", key)]
                if message_id:
                    pairs.append(("messageId", message_id))
                if phone:
                    pairs.append(("phoneNumber", SOME_PHONE))
                faults = _faults(spec.STATUS, dict(pairs), ["unknown-message"])
                if len(faults) > 1:
                    observations.append((faults, _code(p.get("/message-status", *pairs)[1])))
    return _order(spec.STATUS, observations)


def _lookup_precedence(operation: str, path: str, name: str) -> Probe:
    """The probe of a read-only lookup by one parameter (bulk-status's messageId,
    bulk-status-by-tag's tag): a missing, wrong or right key, with and without a value that
    finds nothing, each request that has two faults or more."""

    def probe(p: Prober) -> Observation:
        observations = []
        for key in ("absent", WRONG_KEY, KEY):
            for value in (None, ABSENT_VALUES[name]):
                pairs = [] if key == "absent" else [("apiKey", key)]
                if value:
                    pairs.append((name, value))
                faults = _faults(operation, dict(pairs), ["unknown-message"])
                if len(faults) > 1:
                    observations.append((faults, _code(p.get(path, *pairs)[1])))
        return _order(operation, observations)

    return probe


def _me_precedence(p: Prober) -> Observation:
    observations = []
    for pairs in ([], [("apiKey", WRONG_KEY)]):
        faults = _faults("me", dict(pairs), [])
        observations.append((faults, _code(p.get("/me", *pairs)[1])))
    return _order("me", observations)


def _key_only_precedence(operation: str, path: str) -> Probe:
    """The probe of a read-only list whose only faults are the key's (stop-sms-list,
    subaccount-list): no apiKey holds both, missing and unknown."""

    def probe(p: Prober) -> Observation:
        faults = _faults(operation, {}, [])
        return _order(operation, [(faults, _code(p.get(path)[1]))])

    return probe


def _subaccount_page(p: Prober) -> Observation:
    _, first = p.get("/subaccount/list", ("apiKey", KEY))
    _, absent = p.get("/subaccount/list", ("apiKey", KEY), ("page", "1"))
    if not (isinstance(first, Mapping) and first.get("data")):
        raise NotProbed("the account has no sub-account: every page is empty")
    _, past = p.get("/subaccount/list", ("apiKey", KEY), ("page", "999999"))
    data = past.get("data") if isinstance(past, Mapping) else None
    default = 1 if absent == first else None
    past_end = "empty" if data == [] else "last page" if data else None
    wanted = spec.assumed("subaccount-list-page")
    observed = f"page absent {'=' if default else '!='} page 1; page 999999 holds {data!r:.120}"
    value = {"default": default, "past_end": past_end} if default and past_end else MISSING
    return Observation(f"{wanted}", observed, value)


LOOKUP_FORMS = ("+33600000000", "0033600000000", "33600000000", "0600000000", " +33600000000")


def _lookup(p: Prober, numbers: str) -> Any:
    """POST /v1/lookup (free, 360 a minute; a remote target gets it with --live-lookup)."""
    return p.post("/lookup", {"apiKey": KEY, "phoneNumbers": numbers})[1]


def _separator(p: Prober) -> Observation:
    code = _code(_lookup(p, "+33600000000;+33600000001"))
    assumed = spec.assumed("number-check-separator")
    observed = f"'+33600000000;+33600000001' answered code {code!r}"
    value = {**assumed, "code": code} if type(code) is int else MISSING
    return Observation(f"code {assumed['code']} for ';'", observed, value)


def _entries(p: Prober, numbers: Sequence[str] = LOOKUP_FORMS) -> list[Any]:
    """The lookup's entries for numbers, one per number in order (else not probed)."""
    data = _lookup(p, ",".join(numbers))
    entries = data.get("lookup") if isinstance(data, Mapping) else None
    if not isinstance(entries, list) or len(entries) != len(numbers):
        raise NotProbed(f"the lookup answered no entry per number: {json.dumps(data)[:200]}")
    return entries


def _checked_forms(p: Prober) -> Observation:
    found = {
        form: isinstance(entry, Mapping) and entry.get("success") is True
        for form, entry in zip(LOOKUP_FORMS, _entries(p), strict=True)
    }
    observed = ", ".join(f"{form!r} {'found' if ok else 'refused'}" for form, ok in found.items())
    wanted = spec.assumed("checked-number-forms")
    if not found["+33600000000"]:
        return Observation(f"{wanted}", observed)  # the documented form refused: no reading
    prefixes = [
        prefix
        for prefix, form in (("+", "+33600000000"), ("00", "0033600000000"), ("", "33600000000"))
        if found[form]
    ]
    value = {"prefixes": prefixes, "trim": found[" +33600000000"]}
    if found["0600000000"]:
        value = {**value, "prefixes": [*prefixes, "0"], "national": "a national number read"}
    return Observation(f"{wanted}", observed, value)


def _invalid_number(p: Prober) -> Observation:
    """The failure entry of a national number; its language is 'message-language''s question,
    so the text may be the entry's in any language."""
    entry = _entries(p)[LOOKUP_FORMS.index("0600000000")]
    texts = spec.assumed("lookup-invalid-number")["message"]
    lang = spec.assumed("message-language")
    wanted = {"request": "0600000000", "success": False, "message": texts[lang]}
    observed = json.dumps(entry, ensure_ascii=False)[:200]
    if isinstance(entry, Mapping) and entry.get("success") is True:
        raise NotProbed(f"the target found the national form: {observed}")
    confirmed = any(entry == {**wanted, "message": text} for text in texts.values())
    return Observation(json.dumps(wanted, ensure_ascii=False), observed, confirmed=confirmed)


def _tag_scope(p: Prober) -> Observation:
    """One sandbox send with a mixed-case tag (at most 20 characters), then the tag asked as
    sent and in lower case."""
    tag = f"KitProbe{int(time.time()) % 10**8}"
    _, answer = p.post(
        "/send",
        {
            "apiKey": KEY,
            "phoneNumbers": p.known().phone_number,
            "message": SANDBOX_TEXT,
            "tag": tag,
            "sandbox": 1,
        },
    )
    if not (isinstance(answer, Mapping) and answer.get("success") is True):
        raise NotProbed(f"the sandbox send was refused: {json.dumps(answer)[:200]}")
    exact = _code(p.get("/bulk-status-by-tag", ("apiKey", KEY), ("tag", tag))[1])
    lower = _code(p.get("/bulk-status-by-tag", ("apiKey", KEY), ("tag", tag.lower()))[1])
    unknown = _code(p.get("/bulk-status-by-tag", ("apiKey", KEY), ("tag", UNUSED_TAG))[1])
    if exact == unknown:
        raise NotProbed(f"the sandbox message is not listed by its tag (code {exact!r})")
    observed = f"tag as sent: code {exact!r}; in lower case: code {lower!r}"
    match = {exact: "case-insensitive", unknown: "exact"}.get(lower)
    wanted = spec.assumed("bulk-status-by-tag-scope")
    return Observation(f"{wanted}", observed, {"match": match} if match else MISSING)


def _planned(code: str, row: Mapping[str, Any], nsn: str) -> dict[str, Any]:
    """The lookup entry the ledger's plan of one calling code gives a national number: its
    template's X filled with the digits, for the international, national and rfc3966 forms."""
    digits = iter(nsn)
    template = row["templates"][str(len(nsn))]
    grouped = "".join(next(digits) if char == "X" else char for char in template)
    e164 = f"+{code}{nsn}"
    return {
        "request": e164,
        "success": True,
        "countryCode": row["country"],
        "prefixCode": int(code),
        "phoneNumber": e164,
        "type": "Mobile" if nsn.startswith(tuple(row["mobile"])) else "Fixed line",
        "network": "",
        "format": {
            "e164": e164,
            "international": f"+{code} {grouped}",
            "national": row["national_prefix"] + grouped,
            "rfc3966": f"tel:+{code}-" + grouped.replace(" ", "-"),
        },
    }


def _number_plans(p: Prober) -> Observation:
    """One mobile and one fixed number of each length of each country of the plans."""
    expected = []
    for code, row in spec.assumed("lookup-number-plans").items():
        fixed = next(d for d in "123456789" if d not in row["mobile"])
        for length in row["templates"]:
            for first in (row["mobile"][0], fixed):
                expected.append(_planned(code, row, first + "0" * (int(length) - 1)))
    entries = _entries(p, [entry["request"] for entry in expected])
    departed = [(want, got) for want, got in zip(expected, entries, strict=True) if want != got]
    wanted = f"{len(expected)} entries as the plans give them"
    if not departed:
        return Observation(wanted, f"{len(expected)} entries as planned", confirmed=True)
    want, got = departed[0]
    shown = json.dumps(got, ensure_ascii=False)[:200]
    observed = f"{len(departed)} of {len(expected)} entries differ; {want['request']}: {shown}"
    return Observation(wanted, observed, confirmed=False)


def _limit(operation: str, kind: str) -> int:
    """The documented limit (schemas/rules.json) behind a trigger kind of an operation."""
    rule = next(
        c.trigger["rule"]
        for c in spec.control_codes(operation).values()
        if c.trigger["kind"] == kind
    )
    limit: int = spec.rule(rule)
    return limit


def _posted_order(
    p: Prober, operation: str, path: str, bodies: list[tuple[Any, Iterable[str]]]
) -> Observation:
    """The order the codes answered to bodies imply; each body comes with the operation's own
    trigger kinds that hold for it (a bytes body is sent as it is)."""
    observations = []
    for body, kinds in bodies:
        present = body if isinstance(body, dict) else {}
        faults = _faults(operation, present, kinds)
        observations.append((faults, _code(p.post(path, body)[1])))
    return _order(operation, observations)


def _many(count: int) -> list[dict[str, str]]:
    return [{"phoneNumber": "+33600000000", "messageId": ABSENT_ID} for _ in range(count)]


def _multi_precedence(p: Prober) -> Observation:
    limit = _limit("multi-status", "too-many")
    bodies: list[tuple[Any, Iterable[str]]] = [
        (b"{nope", ["malformed-body", "empty-list"]),
        ({"SMSStatut_List": []}, ["empty-list"]),
        ({"apiKey": WRONG_KEY, "SMSStatut_List": []}, ["empty-list"]),
        ({"apiKey": WRONG_KEY, "SMSStatut_List": _many(limit + 1)}, ["too-many"]),
        ({"SMSStatut_List": _many(limit + 1)}, ["too-many"]),
    ]
    return _posted_order(p, "multi-status", "/multi-status", bodies)


def _multi_entry(p: Prober) -> Observation:
    known = p.known()
    body = {
        "apiKey": KEY,
        "SMSStatut_List": [
            {"phoneNumber": known.phone_number, "messageId": known.message_id},
            {"phoneNumber": known.phone_number, "messageId": ABSENT_ID},
        ],
    }
    _, data = p.post("/multi-status", body)
    entries = data.get("StatutResponse_List", []) if isinstance(data, Mapping) else []
    codes = [_code(entry) for entry in entries]
    assumed = spec.assumed("multi-status-entry-code-precedence")
    if len(codes) != 2 or type(codes[1]) is not int:
        return Observation(f"entry codes {assumed}", f"entries {json.dumps(entries)[:200]}")
    return Observation(f"code {assumed[0]} for the unknown entry", f"code {codes[1]}", [codes[1]])


def _send_precedence(p: Prober) -> Observation:
    phone = p.target.known.phone_number if p.target.known else SOME_PHONE
    many = ",".join(f"+336{n:08d}" for n in range(_limit("send", "too-many") + 1))
    long = "x" * 2000
    # every request has a fault that refuses it whatever the order (a wrong or missing key,
    # or no message), so that none can ever send
    bodies: list[tuple[Any, Iterable[str]]] = [
        (b"{nope", ["malformed-body", "invalid"]),
        ({"sandbox": 1}, ["invalid"]),
        ({"apiKey": WRONG_KEY, "sandbox": 1}, ["invalid"]),
        ({"phoneNumbers": phone, "message": "x", "sandbox": 1}, []),
        ({"apiKey": WRONG_KEY, "phoneNumbers": many, "message": "x", "sandbox": 1}, ["too-many"]),
        ({"apiKey": KEY, "phoneNumbers": many, "sandbox": 1}, ["too-many", "invalid"]),
        ({"apiKey": WRONG_KEY, "phoneNumbers": phone, "message": long, "sandbox": 1}, ["too-long"]),
        ({"apiKey": KEY, "sandbox": 1}, ["invalid"]),
    ]
    return _posted_order(p, "send", "/send", bodies)


def _empty_parameter(p: Prober) -> Observation:
    def code(value: str) -> Any:
        pairs = [("apiKey", value), ("messageId", ABSENT_ID), ("phoneNumber", SOME_PHONE)]
        return _code(p.get("/message-status", *pairs)[1])

    missing = spec.control_codes()[1].code
    unknown = next(
        c.code for c in spec.control_codes().values() if c.trigger["kind"] == "unknown-api-key"
    )
    assumed = spec.assumed("empty-parameter")
    empty = code("")
    found = {char: code(char) for char in oracle.ALL_BLANKS}
    described = f"apiKey='' code {empty}; " + ", ".join(
        f"{char!r} code {c}" for char, c in found.items()
    )
    expected = f"code {missing} for '' and for each of {assumed['whitespace']!r}"
    if empty == unknown and all(c == unknown for c in found.values()):
        return Observation(expected, described, {"treat_as": "present", "whitespace": ""})
    if empty != missing or not all(c in (missing, unknown) for c in found.values()):
        return Observation(expected, described)
    blanks = "".join(char for char, c in found.items() if c == missing)
    return Observation(expected, described, {"treat_as": "missing", "whitespace": blanks})


def _error_http_status(p: Prober) -> Observation:
    requests = [
        [("messageId", ABSENT_ID), ("phoneNumber", SOME_PHONE)],
        [("apiKey", KEY), ("messageId", ABSENT_ID), ("phoneNumber", SOME_PHONE)],
        [("apiKey", WRONG_KEY), ("messageId", ABSENT_ID), ("phoneNumber", SOME_PHONE)],
    ]
    statuses = {}
    for pairs in requests:
        reply, data = p.get("/message-status", *pairs)
        statuses[_code(data)] = reply.status
    codes = spec.control_codes()
    expected = f"HTTP {spec.assumed('error-http-status')} for codes {list(statuses)}"
    observed = ", ".join(f"code {c}: HTTP {s}" for c, s in statuses.items())
    if all(s == 200 for s in statuses.values()):
        return Observation(expected, observed, "200")
    if all(c in codes and s == codes[c].http_status for c, s in statuses.items()):
        return Observation(expected, observed, "4xx")
    return Observation(expected, observed)


def _format_of(p: Prober, value: str) -> str:
    reply, _ = p.get(
        "/message-status",
        ("apiKey", WRONG_KEY),
        ("messageId", ABSENT_ID),
        ("phoneNumber", SOME_PHONE),
        ("_format", value),
    )
    formats = {media: fmt for fmt, media in spec.MEDIA_TYPES.items()}
    return formats.get(reply.media_type, reply.media_type or "no Content-Type")


def _format_case(p: Prober) -> Observation:
    found = {value: _format_of(p, value) for value in ("Xml", "Json")}
    observed = ", ".join(f"_format={v} answers {f}" for v, f in found.items())
    expected = f"{spec.assumed('format-case')}: _format=Xml answers xml, _format=Json json"
    if found == {"Xml": "xml", "Json": "json"}:
        return Observation(expected, observed, "case-insensitive")
    if found["Xml"] == found["Json"] and found["Xml"] in spec.MEDIA_TYPES:
        return Observation(expected, observed, "case-sensitive")
    return Observation(expected, observed)


def _unknown_format(p: Prober) -> Observation:
    found = _format_of(p, "yaml")
    wanted = spec.assumed("unknown-format")
    observed = f"_format=yaml answers {found}"
    value = found if found in spec.MEDIA_TYPES else MISSING
    return Observation(f"_format=yaml answers {wanted}", observed, value)


def _lookups(p: Prober) -> dict[str, Any]:
    known = p.known()
    found = {}
    for form, number in sorted(oracle.phone_forms(known.phone_number).items()):
        raw_plus = form == "unencoded-plus"
        _, found[form] = p.get(
            "/message-status",
            ("apiKey", KEY),
            ("messageId", known.message_id),
            ("phoneNumber", "+" + number.lstrip() if raw_plus else number),
            raw_plus=raw_plus,
        )
    return found


def _phone_candidates() -> list[dict[str, Any]]:
    ledger = spec.ledger_value("phone-formats")
    values = [spec.assumed("phone-formats"), *spec.choices("phone-formats")]
    for national in (ledger["national_prefix"], None):
        for prefixes in (["+", "00"], ["+"], ["00"], []):
            for plus in (ledger["unencoded_plus"], None):
                values.append(
                    {
                        "national_prefix": national,
                        "country_code": ledger["country_code"],
                        "international_prefixes": prefixes,
                        "unencoded_plus": plus,
                    }
                )
    return values


def _phone_formats(p: Prober) -> Observation:
    known = p.known()
    success = oracle.success_code()
    found = {form: _code(data) == success for form, data in _lookups(p).items()}
    forms = oracle.phone_forms(known.phone_number)
    expected = "found in the forms " + ", ".join(
        form
        for form in sorted(forms)
        if _finds(spec.assumed("phone-formats"), forms[form], known.phone_number)
    )
    observed = "found in the forms " + (", ".join(f for f, ok in found.items() if ok) or "none")
    for rules in _phone_candidates():
        if all(_finds(rules, forms[form], known.phone_number) == ok for form, ok in found.items()):
            return Observation(expected, observed, rules)
    return Observation(expected, observed)


def _finds(rules: Mapping[str, Any], given: str, stored: str) -> bool:
    return oracle.lookup_key(given, rules) == oracle.lookup_key(stored, rules)


def _number_echo(p: Prober) -> Observation:
    known = p.known()
    forms = oracle.phone_forms(known.phone_number)
    success = oracle.success_code()
    numbers = {
        form: data.get("number") for form, data in _lookups(p).items() if _code(data) == success
    }
    if len(numbers) < 2:
        raise NotProbed("only one form of the number finds the message ('phone-formats')")
    observed = json.dumps(numbers)
    expected = f"'number' is the {spec.assumed('number-echo')} one"
    if len(set(numbers.values())) == 1:
        return Observation(expected, observed, "stored")
    if all(number == forms[form].strip() for form, number in numbers.items()):
        return Observation(expected, observed, "request")
    return Observation(expected, observed)


def _date_kind(date: Any) -> str | None:
    definitions = spec.schema(spec.OK)["definitions"]
    for kind in spec.choices("date-format"):
        if re.fullmatch(definitions[f"{kind}Date"]["pattern"].strip("^$"), str(date)):
            return str(kind)
    return None


def _date_format(p: Prober) -> Observation:
    known = p.known()
    data = p.status(known.message_id, known.phone_number)
    date = data.get("date") if isinstance(data, Mapping) else None
    kind = _date_kind(date)
    return Observation(
        f"the {spec.assumed('date-format')} form",
        f"{date!r} ({kind or 'neither form'})",
        kind if kind else MISSING,
    )


def _bulk_multi_date(p: Prober) -> Observation:
    known = p.known()
    _, data = p.get("/bulk-status", ("apiKey", KEY), ("messageId", known.message_id))
    entries = data.get("StatutResponse_List", []) if isinstance(data, Mapping) else []
    dates = [entry.get("date") for entry in entries if isinstance(entry, Mapping)]
    kinds = {_date_kind(date) for date in dates}
    expected = f"the {spec.assumed('bulk-multi-date-format')} form"
    if len(kinds) == 1 and None not in kinds:
        return Observation(expected, f"{dates[:3]!r}", kinds.pop())
    return Observation(expected, f"{dates[:3]!r} ({data if not dates else 'mixed forms'})")


def _message_language(p: Prober) -> Observation:
    _, data = p.get("/message-status", ("messageId", ABSENT_ID), ("phoneNumber", SOME_PHONE))
    texts = spec.control_codes()[1].message if _code(data) == 1 else {}
    message = data.get("message") if isinstance(data, Mapping) else None
    lang = next((lang for lang, text in texts.items() if text == message), MISSING)
    wanted = spec.assumed("message-language")
    return Observation(f"{wanted}: {texts.get(wanted, '?')!r}", repr(message), lang)


def _repeated_parameter(p: Prober) -> Observation:
    known = p.target.known
    message_id, phone = (known.message_id, known.phone_number) if known else (ABSENT_ID, SOME_PHONE)
    pairs = [("apiKey", WRONG_KEY), ("apiKey", KEY), ("messageId", message_id)]
    _, data = p.get("/message-status", *pairs, ("phoneNumber", phone))
    right = oracle.expected_code(
        {"apiKey": "k", "messageId": message_id, "phoneNumber": phone}, "k", known
    )
    wrong = oracle.expected_code(
        {"apiKey": WRONG_KEY, "messageId": message_id, "phoneNumber": phone}, "k", known
    )
    value = {right: "last", wrong: "first"}.get(_code(data), MISSING) if right != wrong else MISSING
    rule = spec.assumed("repeated-parameter")
    return Observation(
        f"the {rule} apiKey counts (code {right if rule == 'last' else wrong})",
        f"code {_code(data)}",
        value,
    )


def _json_encoding(p: Prober) -> Observation:
    reply, data = p.get("/message-status", ("messageId", ABSENT_ID), ("phoneNumber", SOME_PHONE))
    assumed = spec.assumed("json-encoding")
    candidates = [assumed] + [
        {"compact": compact, "ascii": ascii_}
        for compact in (True, False)
        for ascii_ in (assumed["ascii"], not assumed["ascii"])
    ]
    observed = repr(reply.raw.decode("utf-8", "replace")[:200])
    for options in candidates:
        separators = (",", ":") if options["compact"] else (", ", ": ")
        text = json.dumps(data, ensure_ascii=options["ascii"], separators=separators)
        if reply.raw == text.encode("utf-8"):
            return Observation(f"{assumed}", observed, options)
    return Observation(f"{assumed}", observed)


def _xml_layout(p: Prober) -> Observation:
    reply, _ = p.get(
        "/message-status",
        ("messageId", ABSENT_ID),
        ("phoneNumber", SOME_PHONE),
        ("_format", "xml"),
    )
    text = reply.raw.decode("utf-8", "replace")
    newline = "\r\n" if "\r\n" in text else "\n" if "\n" in text else ""
    lines = text.split(newline) if newline else [text]
    entries = [line for line in lines if "<entry>" in line] if newline else []
    indent = entries[0][: entries[0].index("<entry>")] if entries else ""
    layout = {"indent": indent, "newline": newline}
    ok = (
        (bool(entries) or not newline)
        and not indent.strip(" \t")
        and all(
            line.startswith(indent + "<entry>") and line == line.rstrip() and "> " not in line
            for line in entries
        )
        and (newline or re.search(r">\s+<", text) is None)
    )
    return Observation(f"{spec.assumed('xml-layout')}", repr(text[:200]), layout if ok else MISSING)


def _undocumented_requests(p: Prober) -> Observation:
    reply, data = p.get("/nope", check=False)
    wanted = spec.assumed("undocumented-requests")
    observed = (
        f"HTTP {reply.status} {reply.media_type}: {reply.raw[:80].decode('utf-8', 'replace')!r}"
    )
    if reply.media_type == "text/html":
        return Observation(wanted, observed, "html-error-page")
    problem = spec.first_error(spec.HTTP_ERROR, data)
    if reply.media_type in spec.MEDIA_TYPES.values() and problem is None:
        return Observation(wanted, observed, "http-error")
    return Observation(wanted, observed)


# --- sandbox sends ----------------------------------------------------------------------


def _sandbox_send(p: Prober) -> Observation:
    sent = p.sandbox_send()
    before, after, status = sent["before"], sent["after"], sent["status"]
    created = _code(status) == oracle.success_code()
    charged = _credits(before) != _credits(after)
    value = {"creates_messages": created, "charges": charged}
    observed = (
        f"status code {_code(status)}; credits {_credits(before)} before, {_credits(after)} after"
    )
    return Observation(f"{spec.assumed('sandbox-send')}", observed, value)


def _credits(me: Any) -> Any:
    credits = me.get("credits", {}) if isinstance(me, Mapping) else {}
    return credits.get("creditSms"), credits.get("solde")


def _created(p: Prober) -> dict[str, Any]:
    sent = p.sandbox_send()
    if _code(sent["status"]) != oracle.success_code():
        raise NotProbed("a sandbox send creates no message to look up ('sandbox-send')")
    return sent


def _send_number_echo(p: Prober) -> Observation:
    sent = _created(p)
    number = sent["status"].get("number")
    phone = p.known().phone_number.strip()
    e164 = oracle.phone_forms(phone)["international"]
    value = "as-sent" if number == phone else "E.164" if number == e164 else MISSING
    return Observation(f"the {spec.assumed('send-number-echo')} form", repr(number), value)


def _epoch(date: Any) -> float | None:
    text = str(date)
    if text.isdigit():
        return float(text)
    try:
        return datetime.strptime(text, "%Y-%m-%d %H:%M:%S").replace(tzinfo=timezone.utc).timestamp()
    except ValueError:
        return None


def _settled(p: Prober) -> tuple[Any, Any]:
    """The sandbox message's first status and its final one (waited for, once a run)."""
    sent = _created(p)
    first = sent["status"]
    pending = first.get("statut")
    if p._final is None:
        message_id = str(sent["answer"]["message_id"])
        phone = p.known().phone_number
        deadline = time.monotonic() + p.wait
        final = first
        while final.get("statut") == pending and time.monotonic() < deadline:
            time.sleep(0.5)
            final = p.status(message_id, phone)
        p._final = final
    if p._final.get("statut") == pending:
        raise NotProbed(f"the sandbox message stayed {pending!r} for {p.wait:g} s")
    return first, p._final


def _status_date(p: Prober) -> Observation:
    first, final = _settled(p)
    pending = first.get("statut")
    start, end = _epoch(first.get("date")), _epoch(final.get("date"))
    observed = (
        f"{pending} dated {first.get('date')}, then {final.get('statut')} dated {final.get('date')}"
    )
    if start is None or end is None:
        return Observation(f"{spec.assumed('status-date')}", observed)
    value = {"pending": "start", "final": "start" if end == start else "start-plus-delay"}
    return Observation(f"{spec.assumed('status-date')}", observed, value)


# The schema of each value of 'dlr-payload' (tests/test_probes.py pins it to the mock's).
DLR_SCHEMAS = {
    "status-item": "callback-dlr.status-item",
    "message-status": spec.OK,
    "lowercase": "callback-dlr.lowercase",
}
RECEIPT_GRACE = 3.0  # seconds a receipt may trail the final status it reports


def _receipts(p: Prober) -> list[Any]:
    """The delivery receipts of the sandbox send (sent with urlDlr to our receiver), once its
    final status is known and a receipt reporting it came, or RECEIPT_GRACE passed."""
    if p.receiver is None or not p.receiver_url:
        raise NotProbed(RECEIVER_REASON)
    _, final = _settled(p)
    deadline = time.monotonic() + RECEIPT_GRACE
    while time.monotonic() < deadline and not _reports(p.receiver.bodies(), final["statut"]):
        time.sleep(0.1)
    return p.receiver.bodies()


def _reports(bodies: list[Any], status: str) -> bool:
    """Whether a receipt reports status (in any case: a shape may lower it)."""
    return any(
        isinstance(value, str) and value.lower() == status.lower()
        for body in bodies
        if isinstance(body, Mapping)
        for value in body.values()
    )


def _sandbox_callbacks(p: Prober) -> Observation:
    bodies = _receipts(p)
    observed = f"{len(bodies)} receipt(s) for a sandbox send with urlDlr"
    return Observation(f"receipts: {spec.assumed('sandbox-callbacks')}", observed, bool(bodies))


def _received(p: Prober) -> list[Any]:
    bodies = _receipts(p)
    if not bodies:
        raise NotProbed("no delivery receipt came for the sandbox send ('sandbox-callbacks')")
    return bodies


def _dlr_payload(p: Prober) -> Observation:
    bodies = _received(p)
    shapes = {
        name
        for name, schema in DLR_SCHEMAS.items()
        if all(spec.first_error(schema, body) is None for body in bodies)
    }
    observed = json.dumps(bodies[-1], ensure_ascii=False)[:200]
    value = shapes.pop() if len(shapes) == 1 else MISSING
    return Observation(f"{spec.assumed('dlr-payload')}", observed, value)


def _dlr_statuses(p: Prober) -> Observation:
    first, final = _settled(p)
    bodies = _received(p)
    early = _reports(bodies, first["statut"])
    observed = f"{len(bodies)} receipt(s); one reporting {first['statut']!r}: {early}"
    if not _reports(bodies, final["statut"]):
        return Observation(f"{spec.assumed('dlr-statuses')}", observed)
    return Observation(f"{spec.assumed('dlr-statuses')}", observed, "all" if early else "final")


def _date_timezone(p: Prober) -> Observation:
    sent = _created(p)
    date = str(sent["status"].get("date"))
    if date.isdigit():
        raise NotProbed("the target answers dates in epoch seconds, which carry no time zone")
    shown = _epoch(date)
    wanted = spec.assumed("date-timezone")
    if shown is None:
        return Observation(wanted, repr(date))
    offset = shown - sent["started"]
    observed = f"{date!r}, {offset / 3600:+.2f} h from UTC at the send"
    for zone in (wanted, *spec.choices("date-timezone")):
        local = datetime.fromtimestamp(sent["started"], ZoneInfo(zone)).utcoffset()
        if local is not None and abs(offset - local.total_seconds()) < 600:
            return Observation(wanted, observed, zone)
    return Observation(wanted, observed)


def _nb_sms(p: Prober, phones: str, message: str) -> Any:
    _, answer = p.post(
        "/send", {"apiKey": KEY, "phoneNumbers": phones, "message": message, "sandbox": 1}
    )
    if not (isinstance(answer, Mapping) and answer.get("success") is True):
        raise NotProbed(f"the sandbox send was refused: {json.dumps(answer)[:200]}")
    return answer.get("nb_sms")


def _unicode_detection(p: Prober) -> Observation:
    parts = _nb_sms(p, p.known().phone_number, "x" * 99 + "\U0001f600")
    assumed = spec.assumed("unicode-detection")
    auto = {**assumed, "auto_above": assumed["auto_above"] or 255}
    value = {1: {**assumed, "auto_above": None}, 2: auto}.get(parts, MISSING)
    return Observation(f"{assumed}", f"nb_sms {parts} for 99 letters and an emoji", value)


def _duplicate_recipients(p: Prober) -> Observation:
    forms = oracle.phone_forms(p.known().phone_number)
    parts = _nb_sms(p, f"{forms['international']},{forms.get('zero-zero')}", "x")
    value = {1: "once", 2: "each"}.get(parts, MISSING)
    wanted = spec.assumed("duplicate-recipients")
    return Observation(f"sent {wanted}", f"nb_sms {parts} for one number given twice", value)


def _validation_list_name(p: Prober) -> Observation:
    _, data = p.post("/send", {"apiKey": KEY, "phoneNumbers": p.known().phone_number, "sandbox": 1})
    names = [name for name in spec.choices("send-validation-list-name") if name in (data or {})]
    wanted = spec.assumed("send-validation-list-name")
    observed = json.dumps(data, ensure_ascii=False)[:200]
    return Observation(f"{wanted!r}", observed, names[0] if len(names) == 1 else MISSING)


Probe = Callable[[Prober], Observation]
READ, SANDBOX, LOOKUP = "read-only", "sandbox", "lookup"
PROBES: dict[str, tuple[Probe, str]] = {
    "message-status-code-precedence": (_status_precedence, READ),
    "empty-parameter": (_empty_parameter, READ),
    "error-http-status": (_error_http_status, READ),
    "format-case": (_format_case, READ),
    "unknown-format": (_unknown_format, READ),
    "phone-formats": (_phone_formats, READ),
    "number-echo": (_number_echo, READ),
    "date-format": (_date_format, READ),
    "message-language": (_message_language, READ),
    "repeated-parameter": (_repeated_parameter, READ),
    "json-encoding": (_json_encoding, READ),
    "xml-layout": (_xml_layout, READ),
    "undocumented-requests": (_undocumented_requests, READ),
    "bulk-status-code-precedence": (
        _lookup_precedence("bulk-status", "/bulk-status", "messageId"),
        READ,
    ),
    "multi-status-code-precedence": (_multi_precedence, READ),
    "multi-status-entry-code-precedence": (_multi_entry, READ),
    "me-code-precedence": (_me_precedence, READ),
    "bulk-multi-date-format": (_bulk_multi_date, READ),
    "stop-sms-list-code-precedence": (
        _key_only_precedence("stop-sms-list", "/stop-sms/list"),
        READ,
    ),
    "subaccount-list-code-precedence": (
        _key_only_precedence("subaccount-list", "/subaccount/list"),
        READ,
    ),
    "bulk-status-by-tag-code-precedence": (
        _lookup_precedence("bulk-status-by-tag", "/bulk-status-by-tag", "tag"),
        READ,
    ),
    "subaccount-list-page": (_subaccount_page, READ),
    "number-check-separator": (_separator, LOOKUP),
    "checked-number-forms": (_checked_forms, LOOKUP),
    "lookup-invalid-number": (_invalid_number, LOOKUP),
    "lookup-number-plans": (_number_plans, LOOKUP),
    "send-code-precedence": (_send_precedence, SANDBOX),
    "send-validation-list-name": (_validation_list_name, SANDBOX),
    "sandbox-send": (_sandbox_send, SANDBOX),
    "send-number-echo": (_send_number_echo, SANDBOX),
    "status-date": (_status_date, SANDBOX),
    "date-timezone": (_date_timezone, SANDBOX),
    "unicode-detection": (_unicode_detection, SANDBOX),
    "duplicate-recipients": (_duplicate_recipients, SANDBOX),
    "bulk-status-by-tag-scope": (_tag_scope, SANDBOX),
    "sandbox-callbacks": (_sandbox_callbacks, SANDBOX),
    "dlr-payload": (_dlr_payload, SANDBOX),
    "dlr-statuses": (_dlr_statuses, SANDBOX),
}

STOP_REASON = "would add a number to the account's STOP list or remove one from it"
SUBACCOUNT_REASON = "would create or remove a sub-account, or move credit to or from one"
SENDS_REASON = (
    "would send real SMS (POST /v1/bulk-send, /v1/vn/send), which cost money: the suite "
    "sends only POST /v1/send with sandbox=1"
)
RECEIVER_REASON = (
    "needs a callback URL the live API can reach: --callback-url, a tunnel to the suite's "
    "receiver (--callback-port)"
)
RECEIVER_ONLY_REASON = (
    "needs what no sandbox send gives: an inbound SMS, failing deliveries over an hour, or a "
    "charged HLR check"
)
LIMIT_REASON = (
    "its open point is the answer past a per-minute limit (360 lookups or HLR requests, 5 "
    "statistics requests): reaching it would refuse the account's own requests for a minute"
)
HLR_REASON = "an HLR check is charged (POST /v1/hlr/notify)"
TAGGED_REASON = (
    "needs more than 20 messages with one tag, or sends in known months: many sends, each "
    "charged if the live API ignored sandbox=1"
)
LOOKUP_REASON = "needs POST /v1/lookup (free, but 360 a minute): sent only with --live-lookup"
RETENTION_REASON = "would take more sends than the live API keeps, each one charged"

NOT_PROBED = {
    "message-cancel-code-precedence": CANCEL_REASON,
    "cancelled-status": CANCEL_REASON,
    "cancel-refund": CANCEL_REASON,
    "cancel-unscheduled": CANCEL_REASON,
    "outbox-retention": RETENTION_REASON,
    "stop-sms-add-code-precedence": STOP_REASON,
    "stop-sms-delete-code-precedence": STOP_REASON,
    "stop-sms-add-field": STOP_REASON,
    "stop-sms-add-duplicate": STOP_REASON,
    "stop-number-form": STOP_REASON,
    "stop-sms-delete-method": STOP_REASON,
    "stop-sms-delete-code-2": STOP_REASON,
    "stop-list-send": STOP_REASON,
    "bulk-send-code-precedence": SENDS_REASON,
    "vn-send-code-precedence": SENDS_REASON,
    "bulk-send-message-id": SENDS_REASON,
    "bulk-send-number-echo": SENDS_REASON,
    "vn-send-key-case": SENDS_REASON,
    "vn-send-from": SENDS_REASON,
    "reply-callback": RECEIVER_ONLY_REASON,
    "callback-retries": RECEIVER_ONLY_REASON,
    "hlr-callback": RECEIVER_ONLY_REASON,
    "lookup-code-precedence": LIMIT_REASON,
    "hlr-notify-code-precedence": LIMIT_REASON,
    "statistics-cost-resume-code-precedence": LIMIT_REASON,
    "rate-limiter": LIMIT_REASON,
    "rate-limit-answer": LIMIT_REASON,
    "hlr-charging": HLR_REASON,
    "hlr-results": HLR_REASON,
    "hlr-campaign-id": HLR_REASON,
    "subaccount-create-code-precedence": SUBACCOUNT_REASON,
    "subaccount-remove-code-precedence": SUBACCOUNT_REASON,
    "subaccount-credit-add-code-precedence": SUBACCOUNT_REASON,
    "subaccount-credit-remove-code-precedence": SUBACCOUNT_REASON,
    "subaccount-credentials": SUBACCOUNT_REASON,
    "subaccount-credit-moves": SUBACCOUNT_REASON,
    "subaccount-create-answer": SUBACCOUNT_REASON,
    "subaccount-remove-path": SUBACCOUNT_REASON,
    "subaccount-store-limits": SUBACCOUNT_REASON,
    "subaccount-credit-answer": SUBACCOUNT_REASON,
    "bulk-status-by-tag-page": TAGGED_REASON,
    "statistics-months": TAGGED_REASON,
}

TRANSPORT_FAILURES = (OSError, http.client.HTTPException, BudgetExhausted)


def probe_all(
    target: Target,
    verdicts: Verdicts,
    *,
    sandbox_sends: bool = False,
    wait: float = 30.0,
    receiver: Receiver | None = None,
    receiver_url: str | None = None,
) -> None:
    """Probe every assumption of the ledger against target, into verdicts.

    Never raises on a departure; a documented-contract violation or a transport failure in a
    probe is recorded in verdicts.errors, and the other probes still run.
    """
    prober = Prober(
        target, sandbox_sends=sandbox_sends, wait=wait, receiver=receiver, receiver_url=receiver_url
    )
    verdicts.probed = True
    for entry in spec.assumptions().values():
        expected_value = spec.assumed(entry.id)
        probe, needs = PROBES.get(entry.id, (None, READ))
        prober.evidence = []
        reason = NOT_PROBED.get(entry.id, "no probe measures it")
        observation = None
        if probe is not None and needs == SANDBOX and not sandbox_sends:
            reason = SANDBOX_REASON
        elif probe is not None and needs == LOOKUP and not target.transport.allows(*LOOKUP_REQUEST):
            reason = LOOKUP_REASON
        elif probe is not None:
            try:
                observation = probe(prober)
            except NotProbed as exc:
                reason = str(exc)
            except (ContractViolation, *TRANSPORT_FAILURES, PermissionError) as exc:
                title = type(exc).__name__
                verdicts.errors.append(f"{entry.id}: {title}: {target.transport.redact(str(exc))}")
                reason = f"the probe failed ({title}; see the errors)"
        if observation is None:
            finding = Finding(entry.id, entry.question, "not probed", entry.decision, reason)
        else:
            if observation.value is not MISSING:
                confirmed = observation.value == expected_value
            else:
                confirmed = bool(observation.confirmed)
            finding = Finding(
                entry.id,
                entry.question,
                "confirmed" if confirmed else "contradicted",
                observation.expected,
                observation.observed,
                expected_value,
                observation.value,
            )
        finding.expected_value = expected_value
        finding.evidence = list(prober.evidence)
        verdicts.record(finding)


def report_document(target: Target, verdicts: Verdicts, meta: Mapping[str, Any]) -> dict[str, Any]:
    """The report as JSON data (schemas/conformance-report.schema.json)."""
    return {
        "target": target.base_url,
        "generated": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        **meta,
        "summary": verdicts.summary(),
        "errors": list(verdicts.errors),
        "assumptions": [finding.document() for finding in verdicts.all()],
    }


def write_report(path: Path, document: Mapping[str, Any], secrets: list[str]) -> tuple[Path, Path]:
    """Write PATH.json and PATH.md (API keys scrubbed); returns both paths."""
    stem = path.with_suffix("") if path.suffix in (".json", ".md") else path
    rows = [
        f"| {f['id']} | {f['verdict']} | {_cell(f['expected'])} | {_cell(f['observed'])} | "
        + (str(f["departures"]["count"]) if "departures" in f else "")
        + " |"
        for f in document["assumptions"]
    ]
    summary = ", ".join(f"{n} {v}" for v, n in document["summary"].items())
    markdown = "\n".join(
        [
            "# Conformance report",
            "",
            f"Target: {document['target']}  ",
            f"Generated: {document['generated']}  ",
            f"Summary: {summary}",
            "",
            *(
                ["Errors (documented-contract violations, transport failures):", ""]
                + [f"- {_cell(error)}" for error in document["errors"]]
                + [""]
                if document["errors"]
                else []
            ),
            "| assumption | verdict | expected | observed | departures |",
            "|---|---|---|---|---|",
            *rows,
            "",
        ]
    )
    json_path, md_path = stem.with_suffix(".json"), stem.with_suffix(".md")
    stem.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=2, ensure_ascii=False)
    json_path.write_text(redact_text(text, secrets) + "\n", encoding="utf-8")
    md_path.write_text(redact_text(markdown, secrets), encoding="utf-8")
    return json_path, md_path


def _cell(text: str) -> str:
    return str(text).replace("|", "\\|").replace("\n", " ")
