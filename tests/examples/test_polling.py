"""The polling example of docs/lifecycle.md, run as a test."""

from __future__ import annotations

from typing import Any


# --- docs example start ---
def wait_for_final_status(mock: Any, message_id: int, number: str) -> str:
    """Poll message-status every 30 s for up to an hour, as production code would."""
    for _ in range(120):
        statut = mock.status(message_id, number)["statut"]
        if statut != "Waiting":
            return str(statut)
        mock.advance(30)  # the mock's clock moves instead of time.sleep(30)
    return "gave up"


def test_a_failed_delivery_is_reported(smspartner_mock: Any) -> None:
    """The magic number 0600000002 ends 'Not delivered'; no real time passes."""
    sent = smspartner_mock.send("0600000002", "Your code is 1234")
    assert wait_for_final_status(smspartner_mock, sent["message_id"], "0600000002") == (
        "Not delivered"
    )


def test_a_stuck_message_makes_the_poller_give_up(smspartner_mock: Any) -> None:
    """The magic number 0600000003 never leaves 'Waiting'."""
    sent = smspartner_mock.send("0600000003", "Your code is 1234")
    assert wait_for_final_status(smspartner_mock, sent["message_id"], "0600000003") == "gave up"


# --- docs example end ---
