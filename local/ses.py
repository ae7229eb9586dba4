"""The emails moto's SES has accepted, read back as MIME messages (in-process moto or moto server).

moto keeps what ``sesv2:SendEmail`` was given (raw MIME for paysync's emails) in its SES backend;
this reads it back so the demo can show the emails and tests can inspect both alternatives.
"""

from __future__ import annotations

import email
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import default

from local.provision import DEFAULT_ACCOUNT_ID, DEFAULT_REGION


@dataclass(frozen=True)
class SentEmail:
    message_id: str
    source: str
    destinations: tuple[str, ...]
    message: EmailMessage

    @property
    def subject(self) -> str:
        return str(self.message["Subject"])

    def part(self, subtype: str) -> str:
        body = self.message.get_body(preferencelist=(subtype,))
        if body is None or body.get_content_subtype() != subtype:
            raise LookupError(f"no text/{subtype} part")
        return str(body.get_content()).replace("\r\n", "\n")  # SMTP line ends, read back as text

    @property
    def text(self) -> str:
        return self.part("plain")

    @property
    def html(self) -> str:
        return self.part("html")


def sent_emails(account_id: str = DEFAULT_ACCOUNT_ID, region: str = DEFAULT_REGION) -> list[SentEmail]:
    """Every raw email moto's SES accepted in that account and region, oldest first."""
    from moto.ses.models import ses_backends

    backend = ses_backends[account_id][region]
    found: list[SentEmail] = []
    for sent in backend.sent_messages:
        raw = getattr(sent, "raw_data", None)
        if raw is None:
            continue
        message = email.message_from_string(raw, policy=default)
        found.append(SentEmail(sent.id, sent.source, tuple(sent.destinations), message))
    return found
