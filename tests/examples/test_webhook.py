"""docs/webhooks.md's example, run as a test."""

from __future__ import annotations

from typing import Any

# --- docs example start ---
from aiohttp import web

from mock_server.testing import serve_app


def test_my_webhook_gets_the_delivery_receipt(smspartner_mock: Any) -> None:
    """A send with urlDlr: the receipt reaches the application's handler; no real wait."""
    receipts = []

    async def on_receipt(request: web.Request) -> web.Response:  # the application's handler
        receipts.append(await request.json())
        return web.Response(text="OK")

    app = web.Application()
    app.router.add_post("/sms/receipts", on_receipt)
    with serve_app(app) as url:
        sent = smspartner_mock.send("0600000002", "Your code is 1234", urlDlr=f"{url}/sms/receipts")
        smspartner_mock.wait_for_callback("dlr")  # the clock moves 30 s: the receipt is due

    (receipt,) = receipts
    assert receipt["message_id"] == sent["message_id"]
    assert receipt["status"] == "Not delivered"


# --- docs example end ---
