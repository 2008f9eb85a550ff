"""Contract tests for the SMS Partner API, runnable against any target.

The strategies are a small public API for your own property tests:

    from hypothesis import given
    from contract_tests import valid_queries, KnownMessage

    @given(valid_queries("YOUR_API_KEY", KnownMessage("1111", "0600000000")))
    def test_my_client(query): ...

Names are imported on first use, so that loading this package (as pytest does for the
suite's conftest) does not build Hypothesis strategies at plugin-initialisation time.
"""

from __future__ import annotations

import importlib
from typing import Any

_EXPORTS = {
    "KnownMessage": "target",
    "Mode": "strategies",
    "Query": "strategies",
    "adversarial_queries": "strategies",
    "bodies": "strategies",
    "broken_queries": "strategies",
    "expected_code": "oracle",
    "invalid_queries": "strategies",
    "phone_forms": "oracle",
    "valid_queries": "strategies",
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    if name not in _EXPORTS:
        raise AttributeError(f"module 'contract_tests' has no attribute {name!r}")
    return getattr(importlib.import_module(f".{_EXPORTS[name]}", __name__), name)
