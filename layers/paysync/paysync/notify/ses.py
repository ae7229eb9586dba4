"""Emails out through SES v2, behind a one-method interface that tests can replace.

The message is sent as raw MIME (see :mod:`paysync.email.mime`): SES v2 ``SendEmail`` with
``Content.Raw`` needs only ``ses:SendEmail`` on the sender's identity (and on the configuration set
when one is given). The client is created lazily, once per container, like every AWS client.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

from paysync.aws.errors import AwsServiceError, AwsUnreachableError
from paysync.domain.models import utcnow
from paysync.email.mime import compose
from paysync.email.render import OutgoingEmail
from paysync.errors import PaysyncError, TransientError

# SES answers these when sending may work later; anything else needs someone to act.
_TRANSIENT_CODES = {"TooManyRequestsException", "LimitExceededException", "Throttling", "ThrottlingException"}


class EmailRejectedError(PaysyncError):
    """SES refused the message for a reason that waiting will not fix (unverified sender, ...)."""


class Mailer(Protocol):
    def send(self, email: OutgoingEmail) -> str:
        """Send ``email``; return the provider's message id. Raises when it was not accepted."""


class SesMailer:
    def __init__(
        self,
        sender: str,
        *,
        reply_to: str | None = None,
        configuration_set: str | None = None,
        client: Callable[[], Any] | None = None,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        self.sender = sender
        self.reply_to = reply_to or None
        self.configuration_set = configuration_set or None
        self._client = client
        self._clock = clock

    def _ses(self) -> Any:
        if self._client is not None:
            return self._client()
        from paysync.aws.services import sesv2

        return sesv2()

    def send(self, email: OutgoingEmail) -> str:
        message = compose(email, sender=self.sender, reply_to=self.reply_to, now=self._clock())
        try:
            return str(
                self._ses().send_raw_email(
                    sender=str(message["From"]),
                    to=list(email.to),
                    mime=message.as_bytes(),
                    configuration_set=self.configuration_set,
                )
            )
        except AwsServiceError as error:
            code = error.code
            if code in _TRANSIENT_CODES:
                raise TransientError(f"SES refused for now: {code}") from None
            # MessageRejected (unverified sender), AccountSuspended, ...: someone must act.
            raise EmailRejectedError(f"SES refused the email: {code}") from None
        except AwsUnreachableError as error:
            raise TransientError(f"SES unreachable: {type(error).__name__}") from None
