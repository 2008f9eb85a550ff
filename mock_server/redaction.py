"""Keep API keys out of logs, journals, reports and test output.

Any query parameter or mapping key whose name contains 'apikey' or 'api_key' (any case) has
its value replaced by REDACTED, and so does every occurrence of a known secret in free text.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

REDACTED = "***"
_NAME = r"[^=&]*api_?key[^=&]*"
_IN_QUERY = re.compile(rf"(?i)((?:^|(?<=[?&])){_NAME}=)[^&#]*")


def is_secret_name(name: str) -> bool:
    folded = name.lower().replace("_", "")
    return "apikey" in folded


def redact_query(query: str) -> str:
    """A query string (or a path with one) with every API-key value replaced."""
    return _IN_QUERY.sub(lambda m: m.group(1) + REDACTED, query)


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


_IN_JSON_TEXT = re.compile(r'(?i)("[^"]*api_?key[^"]*"\s*:\s*)("(?:[^"\\]|\\.)*"?|[^,}\s]*)')


def redact_body(raw: bytes, limit: int = 2000, json_limit: int = 16384) -> Any:
    """A request body fit for a journal: parsed JSON with API keys replaced (up to
    json_limit bytes), or else its text, cut at limit characters, with anything that looks
    like a key's value replaced. The bounds keep a long journal small."""
    text = raw.decode("utf-8", "replace")
    if len(raw) <= json_limit:
        try:
            return redact_mapping(json.loads(text))
        except (ValueError, RecursionError):
            pass
    cut = text[:limit] + ("…" if len(text) > limit else "")
    return redact_query(_IN_JSON_TEXT.sub(lambda m: m.group(1) + f'"{REDACTED}"', cut))
