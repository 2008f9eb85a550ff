"""The command line: `smspartner-mock serve` (also `python -m mock_server serve`), `openapi`
and `calibrate`."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import secrets
import sys
from collections.abc import Sequence
from pathlib import Path

from mock_server._http.runner import serve_forever
from mock_server.contract import calibration, openapi, spec
from mock_server.errors import SpecError
from mock_server.settings import Settings, is_loopback

DESCRIPTION = """\
A local fake of the SMS Partner API (api.smspartner.fr/v1): every operation of
schemas/operations.json (message-status, send, bulk-status, ...), every documented body in
JSON and XML, every control code, driven by the JSON Schemas in schemas/.
"""

EXAMPLE = """\
example:
  smspartner-mock serve --port 8080
  curl 'http://127.0.0.1:8080/v1/message-status?apiKey=YOUR_API_KEY&messageId=1111&phoneNumber=0600000000'
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="smspartner-mock",
        description=DESCRIPTION,
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    serve = commands.add_parser(
        "serve",
        help="serve the mock until Ctrl+C or SIGTERM",
        description="Serve the mock. Logs one line per request to stderr, API keys redacted.",
        epilog=EXAMPLE,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default: %(default)s)")
    serve.add_argument("--port", type=int, default=8080, help="port to bind (default: %(default)s)")
    serve.add_argument(
        "--fixtures",
        type=Path,
        default=spec.fixture_dir(),
        metavar="DIR",
        help="directory with messages.json and api-keys.json (default: the bundled fixtures)",
    )
    serve.add_argument(
        "--api-key",
        action="append",
        dest="api_keys",
        default=[],
        metavar="KEY",
        help="accept this API key instead of those in api-keys.json (repeatable)",
    )
    serve.add_argument(
        "--lang",
        choices=spec.languages(),
        default=spec.assumed("message-language"),
        help="language of error messages (default: %(default)s, as the live API answers)",
    )
    serve.add_argument(
        "--date-format",
        choices=spec.choices("date-format"),
        default=spec.assumed("date-format"),
        help="'docs': 2015-02-07 22:39:46 as documented; 'epoch': \"1423345186\" as the "
        "2018 live captures (default: %(default)s)",
    )
    serve.add_argument(
        "--error-status",
        choices=spec.choices("error-http-status"),
        default=spec.assumed("error-http-status"),
        help="HTTP status of error bodies: '200' for all, or '4xx' per code (default: %(default)s)",
    )
    serve.add_argument(
        "--delivery-delay",
        type=float,
        default=None,
        metavar="SECONDS",
        help="seconds before a sent message to an ordinary number gets its final status "
        "(default: the 'default' delay of magic-numbers.json)",
    )
    serve.add_argument("--no-admin", action="store_true", help="remove the admin API (/_mock/...)")
    serve.add_argument(
        "--admin-token",
        default=None,
        metavar="TOKEN",
        help="require 'Authorization: Bearer TOKEN' on the admin API; when --host is not a "
        "loopback address and no token is given, one is generated and printed",
    )
    serve.add_argument(
        "--journal-size",
        type=int,
        default=500,
        metavar="N",
        help="how many requests GET /_mock/requests keeps (default: %(default)s)",
    )
    serve.add_argument(
        "--max-messages",
        type=int,
        default=100_000,
        metavar="N",
        help="how many sent messages (recipients) the mock keeps; past that the oldest sends "
        "are forgotten, finished ones first, and answer code 4 (default: %(default)s)",
    )
    callbacks = serve.add_argument_group("callbacks (delivery receipts, replies, STOP)")
    callbacks.add_argument(
        "--callback-url",
        default=None,
        metavar="URL",
        help="the account's URL for replies and STOP (a send's urlResponse goes first)",
    )
    callbacks.add_argument(
        "--callback-allow",
        action="append",
        dest="callback_allow",
        default=[],
        metavar="HOST",
        help="also send callbacks to HOST (repeatable); by default only loopback hosts get "
        "them, any other is refused and journalled",
    )
    callbacks.add_argument(
        "--dlr-shape",
        choices=spec.choices("dlr-payload"),
        default=spec.assumed("dlr-payload"),
        help="body of the delivery receipts POSTed to urlDlr, which no doc shows (default: "
        "%(default)s; see the ledger's 'dlr-payload')",
    )
    callbacks.add_argument(
        "--dlr-statuses",
        choices=spec.choices("dlr-statuses"),
        default=spec.assumed("dlr-statuses"),
        help="'final': a receipt when the final status comes; 'all': also when the message "
        "leaves (default: %(default)s)",
    )
    callbacks.add_argument(
        "--callback-timeout",
        type=float,
        default=None,
        metavar="SECONDS",
        help="how long one attempt waits for an answer (default: the ledger's 'callback-retries')",
    )
    callbacks.add_argument(
        "--callback-rate",
        type=float,
        default=50.0,
        metavar="N",
        help="at most N callback attempts a second (default: %(default)s)",
    )
    callbacks.add_argument(
        "--max-callbacks",
        type=int,
        default=10_000,
        metavar="N",
        help="at most N callbacks waiting at once; more are refused and journalled "
        "(default: %(default)s)",
    )
    serve.add_argument(
        "--max-subaccounts",
        type=int,
        default=1000,
        metavar="N",
        help="how many sub-accounts the mock holds; past that a creation answers HTTP 409 "
        "(default: %(default)s)",
    )
    serve.add_argument(
        "--rate-limits",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="answer HTTP 429 past the documented limits: 360 lookups and 360 HLR requests, "
        "5 statistics requests a minute per API key, on the mock's clock (default: on)",
    )
    serve.add_argument("--quiet", action="store_true", help="do not log requests")
    serve.add_argument(
        "--calibration",
        type=Path,
        default=None,
        metavar="FILE",
        help="answer as a measured API: the values of FILE (written by `calibrate`) replace "
        "the ledger's on those assumptions",
    )
    openapi = commands.add_parser(
        "openapi",
        help="print the OpenAPI 3 document generated from schemas/",
        description="Print the OpenAPI 3 document of every endpoint the mock serves.",
    )
    openapi.add_argument(
        "--output", "-o", type=Path, metavar="FILE", help="write to FILE instead of stdout"
    )
    calibrate = commands.add_parser(
        "calibrate",
        help="turn a conformance report into a calibration for `serve --calibration`",
        description="Read a conformance report (the contract suite's --conformance-report "
        "PATH.json) and write the values it measured for contradicted assumptions. "
        "Observations the mock cannot reproduce are listed, on stderr and in the file.",
    )
    calibrate.add_argument("report", type=Path, metavar="REPORT.json")
    calibrate.add_argument(
        "--output", "-o", type=Path, metavar="FILE", help="write to FILE instead of stdout"
    )
    return parser


def _calibrate(args: argparse.Namespace) -> int:
    try:
        measured = calibration.calibrate_file(args.report)
    except SpecError as exc:
        print(f"smspartner-mock: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(measured.document(), indent=2, ensure_ascii=False) + "\n"
    if args.output:
        args.output.write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
    calibrated = ", ".join(measured.values) or "none"
    print(f"calibrated {len(measured.values)}: {calibrated}", file=sys.stderr)
    for row in measured.not_reproducible:
        print(
            f"not reproducible: {row['id']}: observed {row['observed']} ({row['reason']})",
            file=sys.stderr,
        )
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "calibrate":
        return _calibrate(args)
    if args.command == "openapi":
        text = openapi.render()
        if args.output:
            args.output.write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    generated = args.admin_token is None and not args.no_admin and not is_loopback(args.host)
    token = secrets.token_urlsafe(24) if generated else args.admin_token
    try:
        settings = _settings(args, token)
    except (ValueError, SpecError) as exc:
        print(f"smspartner-mock: {exc}", file=sys.stderr)
        return 2
    if generated:
        print(f"Admin API token (send 'Authorization: Bearer TOKEN'): {token}", flush=True)
    try:
        asyncio.run(serve_forever(settings, announce=lambda line: print(line, flush=True)))
    except SpecError as exc:
        print(f"smspartner-mock: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"smspartner-mock: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 2
    return 0


def _settings(args: argparse.Namespace, token: str | None) -> Settings:
    return Settings(
        host=args.host,
        port=args.port,
        fixtures=args.fixtures,
        api_keys=tuple(args.api_keys),
        lang=args.lang,
        date_format=args.date_format,
        error_status=args.error_status,
        access_log=not args.quiet,
        delivery_delay=args.delivery_delay,
        admin=not args.no_admin,
        admin_token=token,
        journal_size=args.journal_size,
        max_messages=args.max_messages,
        callback_url=args.callback_url,
        callback_allow=tuple(args.callback_allow),
        dlr_shape=args.dlr_shape,
        dlr_statuses=args.dlr_statuses,
        callback_timeout=args.callback_timeout,
        callback_rate=args.callback_rate,
        max_callbacks=args.max_callbacks,
        max_subaccounts=args.max_subaccounts,
        rate_limits=args.rate_limits,
        calibration=calibration.load(args.calibration) if args.calibration else {},
    )
