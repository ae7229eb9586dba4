"""Key-expiry reminders and failure alerts: what is due, for whom, and under which send-once key.

Pure rules, no I/O. A Silae Client secret is valid one year; when it lapses every sync behind it
stops (``SILAE13``). Firms are reminded 60, 30, 15, 7 and 1 days before it expires, and once after.

- **Expiry** of a credential set is :attr:`PayrollCredentialsInfo.expires_at`: the date Silae
  announced in ``X-PrimaryKeyExpirationWarning`` when one was seen, else generation date + 1 year.
- **Due threshold** on a day: the most urgent threshold already reached. A day missed (an outage, a
  secret saved with 20 days left) is caught up by the next run, and only the most urgent reminder is
  sent: with 10 days left and nothing sent yet, the 15-day reminder goes, never 60, 30 and 15 at once.
- **Cycle**: a credential set's cycle is its level, owner and secret generation date. Every threshold
  is sent once per cycle; saving a new secret (a new generation date) starts a new cycle.
- **Failures**: a dossier is reported when its latest run failed; each failed run is reported once.
- **Digest**: everything due for a firm goes into one email; recipients are the firm's contacts plus
  the contacts of the dossiers that dossier-level items are about.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Final, Literal
from zoneinfo import ZoneInfo

from paysync.domain.diagnoses import Diagnosis
from paysync.domain.models import Dossier, Firm, PayrollCredentialsInfo, Run, RunStatus
from paysync.domain.period_diagnoses import open_findings

THRESHOLDS: Final = (60, 30, 15, 7, 1)
EXPIRED: Final = "expired"
# The "expired" reminder is still sent this many days late (after an outage), and no later: by
# then the nightly failures (SILAE13) have told the firm every day.
EXPIRED_LOOKBACK_DAYS: Final = 30
# Failed runs are looked for this far back, so that an outage of the reminders loses nothing recent.
FAILURE_LOOKBACK_DAYS: Final = 14
# SES refuses a message with more recipients than this.
MAX_RECIPIENTS: Final = 50

Level = Literal["firm", "dossier"]


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


# ---------------------------------------------------------------------------- key expiry


@dataclass(frozen=True)
class Credential:
    """One set of Silae credentials as the reminders see it: whose it is and when it expires."""

    level: Level
    owner_id: str  # the firm id, or the dossier id for dossier-level credentials
    firm_id: str
    info: PayrollCredentialsInfo
    dossier_name: str | None = None
    dossier_contacts: tuple[str, ...] = ()

    @classmethod
    def of_firm(cls, firm: Firm) -> Credential | None:
        if firm.payroll is None:
            return None
        return cls("firm", firm.firm_id, firm.firm_id, firm.payroll)

    @classmethod
    def of_dossier(cls, dossier: Dossier) -> Credential | None:
        if dossier.payroll_override is None:
            return None
        return cls(
            "dossier",
            dossier.dossier_id,
            dossier.firm_id,
            dossier.payroll_override,
            dossier_name=dossier.name,
            dossier_contacts=tuple(dossier.contact_emails),
        )

    @property
    def cycle(self) -> str:
        """Level, owner and generation date: a new secret is a new cycle of reminders."""
        return f"{self.level}#{self.owner_id}#{self.info.secret_generated_on.isoformat()}"

    @property
    def expires_at(self) -> datetime:
        return _aware(self.info.expires_at)


@dataclass(frozen=True)
class Reminder:
    """The reminder due for a secret on a day: the most urgent threshold reached, or ``expired``."""

    threshold: str  # "60", "30", "15", "7", "1" or "expired"
    days_left: int  # calendar days from today to the expiry day, in the firms' time zone
    expires_at: datetime

    @property
    def expired(self) -> bool:
        return self.threshold == EXPIRED


def due_reminder(expires_at: datetime, now: datetime, timezone: ZoneInfo) -> Reminder | None:
    """The reminder due at ``now`` for a secret expiring at ``expires_at``, if any.

    Days are counted between calendar days in ``timezone``. On the expiry day itself the secret
    still works until its hour: that day is "1 day or less" until the hour, "expired" after it.
    """
    expires_at, now = _aware(expires_at), _aware(now)
    days_left = (expires_at.astimezone(timezone).date() - now.astimezone(timezone).date()).days
    if now >= expires_at:
        if days_left < -EXPIRED_LOOKBACK_DAYS:
            return None
        return Reminder(EXPIRED, days_left, expires_at)
    reached = [t for t in THRESHOLDS if days_left <= t]
    if not reached:
        return None
    return Reminder(str(min(reached)), max(days_left, 0), expires_at)


def expiry_window(today: date) -> tuple[date, date]:
    """The expiry dates (UTC calendar days, a day of slack each side) a run must look at."""
    return today - timedelta(days=EXPIRED_LOOKBACK_DAYS + 1), today + timedelta(days=max(THRESHOLDS) + 1)


@dataclass(frozen=True)
class DueReminder:
    """A reminder due for one set of credentials, sent once per cycle under its ``key``."""

    credential: Credential
    reminder: Reminder

    @property
    def key(self) -> str:
        return reminder_key(self.credential, self.reminder.threshold)


def reminder_key(credential: Credential, threshold: str) -> str:
    return f"REMINDER#{credential.cycle}#{threshold}"


# ---------------------------------------------------------------------------- failures


@dataclass(frozen=True)
class FailedDossier:
    """A dossier whose latest run failed, with its diagnoses: reported to the firm once per run."""

    dossier_id: str
    dossier_name: str
    firm_id: str
    run_id: str
    period: str
    finished_at: datetime | None
    diagnoses: tuple[Diagnosis, ...]
    contacts: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return failure_key(self.run_id)


def finding_key(dossier_id: str, period: str, found: Diagnosis) -> str:
    """The same finding (code and details: entries, totals, differences) found by next week's watch
    has the same key: it is emailed once."""
    details = json.dumps(found.details, sort_keys=True, ensure_ascii=False, default=str)
    digest = hashlib.sha256(f"{found.code}|{details}".encode()).hexdigest()[:20]
    return f"FINDING#{dossier_id}#{period}#{found.code}#{digest}"


@dataclass(frozen=True)
class PeriodFinding:
    """What a watch found in a synced period, to tell the firm once."""

    dossier_id: str
    dossier_name: str
    firm_id: str
    period: str
    diagnosis: Diagnosis
    contacts: tuple[str, ...] = ()

    @property
    def key(self) -> str:
        return finding_key(self.dossier_id, self.period, self.diagnosis)


def period_findings(dossier: Dossier, run: Run) -> list[PeriodFinding]:
    """The findings of a watch worth an email (a replace's were the watch's, and are fixed)."""
    if run.kind != "watch" or run.dossier_id != dossier.dossier_id:
        return []
    return [
        PeriodFinding(
            dossier.dossier_id,
            dossier.name,
            dossier.firm_id,
            run.period,
            found,
            tuple(dossier.contact_emails),
        )
        for found in open_findings(run)
    ]


def failure_key(run_id: str) -> str:
    return f"FAILURE#{run_id}"


def failed_dossier(dossier: Dossier, run: Run) -> FailedDossier | None:
    """The dossier as a failure to report, when ``run`` failed and is still its latest run."""
    if run.status is not RunStatus.FAILED or run.dossier_id != dossier.dossier_id:
        return None
    if dossier.last_run is None or dossier.last_run.run_id != run.run_id:
        return None  # a later run has happened since: its outcome is what counts
    diagnoses: dict[str, Diagnosis] = {}
    for found in [*run.diagnoses, *(d for e in run.entries for d in e.diagnoses)]:
        diagnoses.setdefault(found.code, found)
    return FailedDossier(
        dossier_id=dossier.dossier_id,
        dossier_name=dossier.name,
        firm_id=dossier.firm_id,
        run_id=run.run_id,
        period=run.period,
        finished_at=_aware(run.finished_at) if run.finished_at else None,
        diagnoses=tuple(diagnoses.values()),
        contacts=tuple(dossier.contact_emails),
    )


# ---------------------------------------------------------------------------- the firm's digest


def digest_key(firm_id: str, day: date) -> str:
    return f"DIGEST#{firm_id}#{day.isoformat()}"


def _unique(addresses: Iterable[str]) -> list[str]:
    seen: set[str] = set()
    out: list[str] = []
    for address in addresses:
        cleaned = address.strip()
        if cleaned and cleaned.casefold() not in seen:
            seen.add(cleaned.casefold())
            out.append(cleaned)
    return out


@dataclass(frozen=True)
class Digest:
    """Everything one firm must hear about on one day: one email."""

    firm: Firm
    day: date
    reminders: tuple[DueReminder, ...] = ()
    failures: tuple[FailedDossier, ...] = ()
    findings: tuple[PeriodFinding, ...] = ()
    keys: tuple[str, ...] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "keys",
            tuple(r.key for r in self.reminders)
            + tuple(f.key for f in self.failures)
            + tuple(f.key for f in self.findings),
        )

    @property
    def key(self) -> str:
        return digest_key(self.firm.firm_id, self.day)

    @property
    def empty(self) -> bool:
        return not self.reminders and not self.failures and not self.findings

    @property
    def recipients(self) -> list[str]:
        """The firm's contacts, then those of the dossiers that dossier-level items are about."""
        dossier_contacts = (
            [
                c
                for r in self.reminders
                if r.credential.level == "dossier"
                for c in r.credential.dossier_contacts
            ]
            + [c for f in self.failures for c in f.contacts]
            + [c for f in self.findings for c in f.contacts]
        )
        return _unique([*self.firm.contact_emails, *dossier_contacts])

    def only(self, keys: Iterable[str]) -> Digest:
        """The same digest restricted to ``keys`` (the items this run could claim)."""
        wanted = set(keys)
        return Digest(
            firm=self.firm,
            day=self.day,
            reminders=tuple(r for r in self.reminders if r.key in wanted),
            failures=tuple(f for f in self.failures if f.key in wanted),
            findings=tuple(f for f in self.findings if f.key in wanted),
        )


def build_digests(
    firms: Mapping[str, Firm],
    reminders: Iterable[DueReminder],
    failures: Iterable[FailedDossier],
    day: date,
    findings: Iterable[PeriodFinding] = (),
) -> list[Digest]:
    """One digest per firm that has something to say, most urgent items first; none otherwise."""
    by_firm_reminders: dict[str, list[DueReminder]] = {}
    by_firm_failures: dict[str, list[FailedDossier]] = {}
    for due in reminders:
        by_firm_reminders.setdefault(due.credential.firm_id, []).append(due)
    for failure in failures:
        by_firm_failures.setdefault(failure.firm_id, []).append(failure)
    by_firm_findings: dict[str, list[PeriodFinding]] = {}
    for finding in findings:
        by_firm_findings.setdefault(finding.firm_id, []).append(finding)
    digests: list[Digest] = []
    for firm_id in sorted(set(by_firm_reminders) | set(by_firm_failures) | set(by_firm_findings)):
        firm = firms.get(firm_id)
        if firm is None:
            continue
        due_sorted = sorted(
            by_firm_reminders.get(firm_id, []),
            key=lambda d: (not d.reminder.expired, d.reminder.days_left, d.credential.level != "firm", d.key),
        )
        failed_sorted = sorted(
            by_firm_failures.get(firm_id, []), key=lambda f: (f.dossier_name.casefold(), f.run_id)
        )
        found_sorted = sorted(
            by_firm_findings.get(firm_id, []), key=lambda f: (f.dossier_name.casefold(), f.period)
        )
        digest = Digest(
            firm=firm,
            day=day,
            reminders=tuple(due_sorted),
            failures=tuple(failed_sorted),
            findings=tuple(found_sorted),
        )
        if not digest.empty:
            digests.append(digest)
    return digests
