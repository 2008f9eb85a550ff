"""Contract tests for SMS Partner's message-status API, runnable against any target.

The strategies are a small public API for your own property tests:

    from hypothesis import given
    from contract_tests import valid_queries, KnownMessage

    @given(valid_queries("YOUR_API_KEY", KnownMessage("1111", "0600000000")))
    def test_my_client(query): ...
"""

from .oracle import expected_code, phone_forms
from .strategies import (
    Mode,
    Query,
    adversarial_queries,
    bodies,
    broken_queries,
    invalid_queries,
    valid_queries,
)
from .target import KnownMessage

__all__ = [
    "KnownMessage",
    "Mode",
    "Query",
    "adversarial_queries",
    "bodies",
    "broken_queries",
    "expected_code",
    "invalid_queries",
    "phone_forms",
    "valid_queries",
]
