"""The README's polling example, run as a test."""

from __future__ import annotations

from typing import Any

# --- README example start ---
from mock_server.admin_client import AdminClient


def wait_for_final_status(client: AdminClient, message_id: int, number: str) -> str:
    """Poll message-status every 30 s for up to an hour, as production code would."""
    for _ in range(120):
        statut = client.status(message_id, number)["statut"]
        if statut != "Waiting":
            return str(statut)
        client.advance(30)  # the mock's clock moves instead of time.sleep(30)
    return "gave up"


def test_a_failed_delivery_is_reported(smspartner_mock: Any) -> None:
    """The magic number 0600000002 ends 'Not delivered'; no real time passes."""
    client = AdminClient(smspartner_mock.base_url, api_key=smspartner_mock.api_key)
    sent = client.send("0600000002", "Your code is 1234")
    assert wait_for_final_status(client, sent["message_id"], "0600000002") == "Not delivered"


def test_a_stuck_message_makes_the_poller_give_up(smspartner_mock: Any) -> None:
    """The magic number 0600000003 never leaves 'Waiting'."""
    client = AdminClient(smspartner_mock.base_url, api_key=smspartner_mock.api_key)
    sent = client.send("0600000003", "Your code is 1234")
    assert wait_for_final_status(client, sent["message_id"], "0600000003") == "gave up"


# --- README example end ---
