"""Keep API keys out of logs, journals, echoes, reports and test output.

A value is secret when its parameter or field name, once *decoded* (percent-escapes in a
query, \\u escapes in JSON), contains 'apikey' whatever the case and the separators
('api_key', 'API-Key', 'api%4Bey', "api\\u004bey" all count): the server decodes names before
it looks them up, so redaction must too, or a key spelled another way slips through. Every
occurrence of a known secret (the keys a mock accepts, the key a suite was given) is also
replaced in free text, whatever name it came under.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote_plus, urlsplit, urlunsplit

REDACTED = "***"


def is_secret_name(name: str) -> bool:
    """Whether a decoded parameter or field name names an API key."""
    lowered = name.lower()
    if "key" not in lowered:  # the usual case, and the cheap test
        return False
    return "apikey" in "".join(char for char in lowered if char.isalnum())


def _redact_pair(pair: str) -> str:
    name, sep, _ = pair.partition("=")
    if not sep:
        return pair
    decoded = unquote_plus(name, errors="replace") if "%" in name or "+" in name else name
    return f"{name}={REDACTED}" if is_secret_name(decoded) else pair


def redact_query(query: str) -> str:
    """A query string (or a path with one) with the value of every API-key parameter replaced,
    the names compared after percent-decoding."""
    path, mark, rest = query.partition("?") if "?" in query else ("", "", query)
    return path + mark + "&".join(_redact_pair(pair) for pair in rest.split("&"))


def redact_mapping(data: Any) -> Any:
    """A deep copy of JSON-like data with the values of API-key fields replaced."""
    if isinstance(data, Mapping):
        return {
            key: REDACTED if is_secret_name(str(key)) else redact_mapping(value)
            for key, value in data.items()
        }
    if isinstance(data, list):
        return [redact_mapping(item) for item in data]
    return data


def secret_values(data: Any) -> set[str]:
    """The values, as text, of every API-key field in JSON-like data (to redact elsewhere)."""
    if isinstance(data, Mapping):
        found = {str(v) for k, v in data.items() if is_secret_name(str(k)) and v not in ("", None)}
        return found.union(*(secret_values(value) for value in data.values()))
    if isinstance(data, list):
        return set().union(*(secret_values(item) for item in data))
    return set()


def redact_text(text: str, secrets: Iterable[str]) -> str:
    """Free text with every occurrence of each non-empty secret replaced."""
    for secret in sorted({s for s in secrets if s}, key=len, reverse=True):
        text = text.replace(secret, REDACTED)
    return text


def redact_values(data: Any, secrets: Iterable[str]) -> Any:
    """JSON-like data with every occurrence of each secret replaced in its strings and keys."""
    keys = tuple(secrets)
    if isinstance(data, str):
        return redact_text(data, keys)
    if isinstance(data, Mapping):
        return {redact_text(str(k), keys): redact_values(v, keys) for k, v in data.items()}
    if isinstance(data, list):
        return [redact_values(item, keys) for item in data]
    return data


# A JSON member as text: "name" : value (a string, possibly cut short, or any other token).
_MEMBER = re.compile(r'"((?:[^"\\]|\\.)*)"(\s*:\s*)("(?:[^"\\]|\\.)*"?|[^,}\]\s]*)')


def _json_name(inner: str) -> str:
    try:
        decoded = json.loads(f'"{inner}"')
    except ValueError:  # a cut or broken escape: compare what is there
        return inner
    return str(decoded)


def redact_json_text(text: str) -> str:
    """JSON-looking text (perhaps cut, perhaps not JSON at all) with the value of every member
    whose decoded name names an API key replaced."""

    def replace(match: re.Match[str]) -> str:
        if is_secret_name(_json_name(match.group(1))):
            return f'"{match.group(1)}"{match.group(2)}"{REDACTED}"'
        return match.group(0)

    return _MEMBER.sub(replace, text)


def redact_body(raw: bytes, limit: int = 2000, json_limit: int = 16384) -> Any:
    """A request body fit for a journal: parsed JSON with API keys replaced (up to
    json_limit bytes), or else its text, cut at limit characters, with anything that looks
    like a key's value replaced (as a JSON member or as a query parameter)."""
    text = raw.decode("utf-8", "replace")
    if len(raw) <= json_limit:
        try:
            return redact_mapping(json.loads(text))
        except (ValueError, RecursionError):
            pass
    cut = text[:limit] + ("…" if len(text) > limit else "")
    return redact_query(redact_json_text(cut))


# Names of URL parameters that carry a secret in callback URLs (webhook.site tokens, signed
# URLs, basic credentials): matched in the decoded name, whatever the case.
_URL_SECRET_WORDS = ("key", "token", "secret", "pass", "pwd", "sig", "auth", "credential")


def _secret_param(pair: str) -> str:
    name, sep, _ = pair.partition("=")
    decoded = unquote_plus(name, errors="replace").lower()
    if sep and any(word in decoded for word in _URL_SECRET_WORDS):
        return f"{name}={REDACTED}"
    return pair


def redact_url(url: str) -> str:
    """A URL fit for a journal: the password of its user part and the value of every query
    parameter named like a key, token, secret, password or signature replaced."""
    try:
        parts = urlsplit(url)
    except ValueError:  # not even a URL (a bad IPv6 literal): show nothing of it
        return REDACTED
    netloc = parts.netloc
    if "@" in netloc:
        user, _, host = netloc.rpartition("@")
        name, colon, _ = user.partition(":")
        netloc = f"{name}{':' + REDACTED if colon else ''}@{host}"
    query = "&".join(_secret_param(pair) for pair in parts.query.split("&")) if parts.query else ""
    return urlunsplit((parts.scheme, netloc, parts.path, query, parts.fragment))
