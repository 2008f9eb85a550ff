"""Bad input of any kind: the endpoints never answer 5xx and every answer fits a schema."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from contract_tests.checks import schema_for
from contract_tests.transport import Transport, encode_query
from mock_server import ServerThread
from mock_server.contract import spec

KEY = "YOUR_API_KEY"

scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text()
values = st.recursive(scalars, lambda inner: st.lists(inner) | st.dictionaries(st.text(), inner))
# Texts that once broke a handler: superscript and full-width digits, the last date.
TRICKY = ["300000", "\u00b2", "\uff13" + "\uff10" * 5, "31/12/9999", "24", "55", "0600000002"]
texts = st.text() | st.sampled_from([*TRICKY, KEY])
OPTIONAL = ("message", "sender", "scheduledDeliveryDate", "time", "minute", "sandbox", "_format")
send_bodies = st.fixed_dictionaries(
    {"apiKey": st.just(KEY) | values, "phoneNumbers": texts | values},
    optional=dict.fromkeys(OPTIONAL, texts | values),
)
multi_bodies = st.fixed_dictionaries(
    {"apiKey": st.just(KEY) | values},
    optional={
        "SMSStatut_List": st.lists(
            st.dictionaries(st.sampled_from(["phoneNumber", "messageId"]), texts | values)
        )
        | values
    },
)


@pytest.fixture(scope="module")
def api() -> Iterator[Transport]:
    with ServerThread() as server:
        server_api = Transport(server.base_url)
        server_api.post("/send", {"apiKey": KEY, "phoneNumbers": "0600000000", "message": "x"})
        yield server_api
        assert not server.violations()


def _fits(reply: Any, operation: str) -> None:
    assert reply.status < 500, reply.raw
    data = reply.data()
    assert spec.first_error(schema_for(data, operation), data) is None


@given(body=send_bodies | values)
def test_any_send_body_gets_a_documented_answer(api: Transport, body: Any) -> None:
    """Any JSON body to /v1/send gets a documented answer, never a 5xx."""
    _fits(api.post("/send", json.dumps(body).encode()), "send")


@given(body=multi_bodies | values)
def test_any_multi_status_body_gets_a_documented_answer(api: Transport, body: Any) -> None:
    """Any JSON body to /v1/multi-status gets a documented answer, never a 5xx."""
    _fits(api.post("/multi-status", json.dumps(body).encode()), "multi-status")


@pytest.mark.parametrize("path", ["/bulk-status", "/message-cancel", "/me"])
@given(message_id=texts)
def test_any_message_id_gets_a_documented_answer(
    api: Transport, path: str, message_id: str
) -> None:
    """Any messageId to the GET endpoints gets a documented answer, never a 5xx."""
    operation = path.strip("/")
    _fits(
        api.request("GET", path, encode_query({"apiKey": KEY, "messageId": message_id})), operation
    )
