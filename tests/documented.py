"""Answers as the seed page documents them, for the tests that read or check XML."""

from __future__ import annotations

# message-status's answer in XML, one <entry> per field in the schema's order
STATUS_ENTRIES = (
    "true",
    "200",
    "<![CDATA[0600000000]]>",
    "<![CDATA[1111]]>",
    "false",
    "<![CDATA[1]]>",
    "<![CDATA[Delivered]]>",
    "0.045",
    "<![CDATA[12]]>",
    "<![CDATA[EUR]]>",
)


def status_xml(change: tuple[str, str] = ("", "")) -> str:
    """The documented message-status XML, with one text replaced by another."""
    raw = "<result>" + "".join(f"<entry>{e}</entry>" for e in STATUS_ENTRIES) + "</result>"
    return raw.replace(*change)
