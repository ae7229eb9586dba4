"""Key-expiry reminders and failure alerts: one email per firm per day, each item emailed once.

Each morning: query the credentials expiring soon (sparse ``ExpiryIndex``) and the runs that failed
recently (sparse ``FailureIndex``), keep the reminders due today and the dossiers whose latest run
failed, drop what was already emailed, group the rest per firm, and send each firm its email under
the send-once protocol of :class:`~paysync.storage.notifications.NotificationLog`.

A firm whose email could not be sent does not stop the others; the run then ends with
:class:`RemindersIncompleteError`, so that Lambda retries it (the firms already served are skipped).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from paysync.domain.models import Dossier, Firm
from paysync.domain.reminders import (
    FAILURE_LOOKBACK_DAYS,
    MAX_RECIPIENTS,
    Credential,
    Digest,
    DueReminder,
    FailedDossier,
    PeriodFinding,
    build_digests,
    due_reminder,
    expiry_window,
    failed_dossier,
    period_findings,
)
from paysync.email.render import OutgoingEmail, render_digest
from paysync.errors import TransientError
from paysync.notify.ses import Mailer
from paysync.observability import logger, metrics
from paysync.storage.notifications import SENT, NotificationLog
from paysync.usecases.services import Services


class RemindersIncompleteError(TransientError):
    """Some firms' emails could not be sent this time; a retry sends them (and only them)."""


@dataclass(frozen=True)
class SentEmail:
    """An email sent to a firm: its SES message id and the send-once keys it closed."""

    firm_id: str
    firm_name: str
    email: OutgoingEmail
    message_id: str
    keys: tuple[str, ...]


@dataclass
class RemindersReport:
    """What one day's reminders run did, firm by firm: emailed, skipped, or failed (by error type)."""

    day: date
    reminders_due: int = 0
    failures_due: int = 0
    findings_due: int = 0  # what watches found (PAIE-MODIFIEE...), each emailed once
    sent: list[SentEmail] = field(default_factory=list)
    already_sent: list[str] = field(default_factory=list)  # firms already emailed today
    busy: list[str] = field(default_factory=list)  # firms being emailed by another invocation
    without_recipient: list[str] = field(default_factory=list)
    errors: dict[str, str] = field(default_factory=dict)  # firm id -> error type

    def as_dict(self) -> dict[str, Any]:
        """A summary for logs and the handler's answer: ids and counts, no address, no content."""
        return {
            "day": self.day.isoformat(),
            "reminders_due": self.reminders_due,
            "failures_due": self.failures_due,
            "emails_sent": len(self.sent),
            "firms_emailed": [s.firm_id for s in self.sent],
            "already_sent": self.already_sent,
            "busy": self.busy,
            "without_recipient": self.without_recipient,
            "errors": self.errors,
        }


class _Reader:
    """Firms and dossiers read once per invocation."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self.firms: dict[str, Firm | None] = {}
        self._dossiers: dict[str, Dossier | None] = {}

    def firm(self, firm_id: str) -> Firm | None:
        if firm_id not in self.firms:
            self.firms[firm_id] = self._services.config.get_firm(firm_id)
        return self.firms[firm_id]

    def dossier(self, dossier_id: str) -> Dossier | None:
        if dossier_id not in self._dossiers:
            self._dossiers[dossier_id] = self._services.config.get_dossier(dossier_id)
        return self._dossiers[dossier_id]


def due_reminders(
    services: Services, now: datetime, timezone: ZoneInfo, reader: _Reader
) -> list[DueReminder]:
    today = now.astimezone(timezone).date()
    since, until = expiry_window(today)
    found: list[DueReminder] = []
    for record in services.config.expiring_credentials(since, until):
        if isinstance(record, Firm):
            reader.firms[record.firm_id] = record
            credential = Credential.of_firm(record)
        else:
            credential = Credential.of_dossier(record)
        if credential is None:
            continue
        reminder = due_reminder(credential.expires_at, now, timezone)
        if reminder is not None:
            found.append(DueReminder(credential, reminder))
    return found


def failed_dossiers(
    services: Services, today: date, reader: _Reader
) -> tuple[list[FailedDossier], list[PeriodFinding]]:
    """Dossiers whose latest run failed, and what recent watches found (one query: both are on the
    sparse FailureIndex)."""
    found: list[FailedDossier] = []
    findings: list[PeriodFinding] = []
    for run in services.runs.failed_since(today - timedelta(days=FAILURE_LOOKBACK_DAYS)):
        dossier = reader.dossier(run.dossier_id)
        if dossier is None:
            continue
        failure = failed_dossier(dossier, run)
        if failure is not None:
            found.append(failure)
        findings.extend(period_findings(dossier, run))
    return found, findings


def send_reminders(
    services: Services,
    notifications: NotificationLog,
    mailer: Mailer,
    *,
    owner: str,
    now: datetime | None = None,
) -> RemindersReport:
    """Send today's emails. ``owner`` identifies the invocation (the Lambda request id)."""
    now = now or services.clock()
    timezone = ZoneInfo(services.settings.timezone)
    today = now.astimezone(timezone).date()
    report = RemindersReport(day=today)
    reader = _Reader(services)

    reminders = [
        r for r in due_reminders(services, now, timezone, reader) if notifications.status(r.key) != SENT
    ]
    failed, found = failed_dossiers(services, today, reader)
    failures = [f for f in failed if notifications.status(f.key) != SENT]
    unique = {f.key: f for f in found}  # the same finding by two watches: once
    findings = [f for f in unique.values() if notifications.status(f.key) != SENT]
    report.reminders_due, report.failures_due = len(reminders), len(failures)
    report.findings_due = len(findings)
    firm_ids = {r.credential.firm_id for r in reminders} | {f.firm_id for f in failures}
    firm_ids |= {f.firm_id for f in findings}
    for firm_id in firm_ids:
        reader.firm(firm_id)
    firms = {firm_id: firm for firm_id, firm in reader.firms.items() if firm is not None}

    delivery = _Delivery(
        services, notifications, mailer, owner=owner, now=now, timezone=timezone, report=report
    )
    for digest in build_digests(firms, reminders, failures, today, findings):
        try:
            delivery.deliver(digest)
        except Exception as error:  # one firm's failure must not keep the others from their email
            report.errors[digest.firm.firm_id] = type(error).__name__
            logger.exception("reminder email not sent", extra={"firm_id": digest.firm.firm_id})

    metrics.add_metric(name="ReminderEmailsSent", unit="Count", value=len(report.sent))
    logger.info("reminders done", extra=report.as_dict())
    if report.errors:
        raise RemindersIncompleteError(
            f"emails not sent for {len(report.errors)} firm(s): {sorted(report.errors)}"
        )
    return report


@dataclass
class _Delivery:
    """One invocation's delivery of each firm's digest, sent once; ``report`` records what became of each."""

    services: Services
    notifications: NotificationLog
    mailer: Mailer
    owner: str
    now: datetime
    timezone: ZoneInfo
    report: RemindersReport

    def _claim(self, key: str, **attributes: Any) -> bool:
        lease = timedelta(seconds=self.services.settings.notification_lease_seconds)
        return self.notifications.claim(
            key, owner=self.owner, now=self.now, lease=lease, attributes=attributes
        )

    def deliver(self, digest: Digest) -> None:
        firm_id = digest.firm.firm_id
        if not digest.recipients:
            self.report.without_recipient.append(firm_id)
            metrics.add_metric(name="ReminderEmailsWithoutRecipient", unit="Count", value=1)
            logger.warning(
                "nobody to email: the firm and its dossiers have no contact", extra={"firm_id": firm_id}
            )
            return
        if self.notifications.status(digest.key) == SENT:
            self.report.already_sent.append(firm_id)  # one email per firm per day: the rest waits
            return
        if not self._claim(digest.key, firm_id=firm_id, day=digest.day.isoformat(), items=list(digest.keys)):
            self._skipped(digest)
            return
        claimed = [k for k in digest.keys if self._claim(k, firm_id=firm_id, digest=digest.key)]
        digest = digest.only(claimed)
        if digest.empty or not digest.recipients:
            self.notifications.release([*claimed, digest.key], owner=self.owner)
            self.report.busy.append(firm_id)
            return
        keys = [*claimed, digest.key]  # the digest last: its "sent" mark closes the day
        try:
            email = render_digest(digest, self.timezone)
            if len(digest.recipients) > MAX_RECIPIENTS:
                logger.warning(
                    "too many recipients for one email: the first ones only",
                    extra={"firm_id": firm_id, "recipients": len(digest.recipients)},
                )
            message_id = self.mailer.send(email)
        except Exception:
            self.notifications.release(keys, owner=self.owner)  # nothing went: the retry sends it
            raise
        if not self.notifications.mark_sent(keys, owner=self.owner, now=self.now, message_id=message_id):
            logger.error(
                "a claim was taken over while its email was being sent: it may be sent twice",
                extra={"firm_id": firm_id, "message_id": message_id},
            )
        self.report.sent.append(SentEmail(firm_id, digest.firm.name, email, message_id, tuple(keys)))
        logger.info(
            "reminder email sent",
            extra={
                "firm_id": firm_id,
                "message_id": message_id,
                "reminders": [r.key for r in digest.reminders],
                "failures": [f.run_id for f in digest.failures],
                "recipients": len(email.to),
            },
        )

    def _skipped(self, digest: Digest) -> None:
        if self.notifications.status(digest.key) == SENT:
            self.report.already_sent.append(digest.firm.firm_id)
        else:
            self.report.busy.append(digest.firm.firm_id)
