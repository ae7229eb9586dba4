"""A rendered email as a MIME message: multipart/alternative, plain text first, then HTML.

Built here rather than by SES so that the exact bytes sent are known (and readable back from the
local stack): UTF-8 bodies in quoted-printable (7-bit safe), RFC 2047 headers, no line break in a
header (the email package refuses them).
"""

from __future__ import annotations

from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid

from paysync.email.render import OutgoingEmail

SENDER_NAME = "paysync"


def compose(
    email: OutgoingEmail, *, sender: str, reply_to: str | None, now: datetime, sender_name: str = SENDER_NAME
) -> EmailMessage:
    message = EmailMessage(policy=SMTP)
    local, _, domain = sender.partition("@")
    message["From"] = Address(display_name=sender_name, username=local, domain=domain)
    message["To"] = ", ".join(email.to)
    if reply_to:
        message["Reply-To"] = reply_to
    message["Subject"] = email.subject
    message["Date"] = format_datetime(now)
    message["Message-ID"] = make_msgid(domain=domain or None)
    message["Auto-Submitted"] = "auto-generated"  # RFC 3834: no auto-replies to this one
    message.set_content(email.text, subtype="plain", charset="utf-8", cte="quoted-printable")
    message.add_alternative(email.html, subtype="html", charset="utf-8", cte="quoted-printable")
    message["Content-Language"] = "fr"  # after the bodies: set_content drops Content-* headers
    return message
