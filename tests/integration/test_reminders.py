"""Key-expiry reminders and failure alerts over moto (DynamoDB + SES v2), with a controlled clock.

One module on purpose (~550 lines): every scenario runs on one controlled clock and one SES capture, day after day.

Emails are sent by the real SES v2 adapter to moto and read back from moto's SES backend as the
MIME messages SES accepted (both alternatives).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from local.ses import SentEmail, sent_emails
from paysync.config import get_reminder_settings
from paysync.domain.diagnoses import diagnosis
from paysync.domain.models import Dossier, Firm, PayrollCredentialsInfo, Run, RunStatus
from paysync.email.render import OutgoingEmail
from paysync.errors import TransientError
from paysync.notify.ses import Mailer, SesMailer
from paysync.storage.notifications import SENDING, SENT, NotificationLog
from paysync.usecases.reminders import RemindersIncompleteError, RemindersReport, send_reminders
from tests.contracts import REPO_ROOT
from tests.harness import Env, drain, reset_library_caches, run_nightly
from tests.integration.conftest import NIGHT

PARIS = ZoneInfo("Europe/Paris")


def morning(day: date, hour: int = 8) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=PARIS)


@dataclass
class Mail:
    env: Env
    log: NotificationLog
    mailer: SesMailer

    @property
    def services(self) -> Any:
        return self.env.services

    def run(
        self, owner: str = "req-1", mailer: Mailer | None = None, log: NotificationLog | None = None
    ) -> RemindersReport:
        return send_reminders(self.services, log or self.log, mailer or self.mailer, owner=owner)

    def sent(self) -> list[SentEmail]:
        resources = self.env.resources
        return sent_emails(resources.pseudo_parameters["AWS::AccountId"], resources.region)

    def scan(self) -> list[dict[str, Any]]:
        table = self.log._table
        return list(table.scan(ConsistentRead=True)["Items"])


@pytest.fixture
def mail(env: Env, monkeypatch: pytest.MonkeyPatch) -> Mail:
    return mail_for(env, monkeypatch)


def mail_for(env: Env, monkeypatch: pytest.MonkeyPatch) -> Mail:
    """The reminders function's environment (from template.yaml) on top of the test stack."""
    for key, value in env.resources.function_environment("KeyExpiryRemindersFunction").items():
        if not key.startswith(("SILAE_", "MYUNISOFT_")):
            monkeypatch.setenv(key, value)
    reset_library_caches()
    settings = get_reminder_settings()
    assert settings.sender_email and settings.notifications_table.endswith("NotificationsTable")
    return Mail(env, NotificationLog(settings.notifications_table), SesMailer(settings.sender_email))


# ---------------------------------------------------------------------------- seeding


def firm(
    mail: Mail,
    firm_id: str,
    *,
    generated: date | None = None,
    contacts: tuple[str, ...] | None = None,
    name: str | None = None,
) -> Firm:
    payroll = (
        PayrollCredentialsInfo(client_id_masked=f"cid-…{firm_id[-4:]}", secret_generated_on=generated)
        if generated
        else None
    )
    record = Firm(
        firm_id=firm_id,
        name=name or f"Cabinet {firm_id}",
        contact_emails=list(contacts if contacts is not None else (f"paie@{firm_id}.fr",)),
        payroll=payroll,
    )
    mail.services.config.put_firm(record)
    return record


def dossier(
    mail: Mail,
    dossier_id: str,
    firm_id: str,
    *,
    contacts: tuple[str, ...] = (),
    own_secret_generated: date | None = None,
    name: str | None = None,
) -> Dossier:
    override = (
        PayrollCredentialsInfo(client_id_masked="cid-…d0ss", secret_generated_on=own_secret_generated)
        if own_secret_generated
        else None
    )
    record = Dossier(
        dossier_id=dossier_id,
        firm_id=firm_id,
        name=name or f"Dossier {dossier_id}",
        pending_period="2026-10",
        contact_emails=list(contacts),
        payroll_override=override,
    )
    mail.services.config.put_dossier(record)
    return record


def finish_run(mail: Mail, record: Dossier, run_id: str, status: RunStatus, when: datetime) -> Run:
    """A finished run, saved and recorded on its dossier as the worker does."""
    run = Run(
        run_id=run_id,
        dossier_id=record.dossier_id,
        firm_id=record.firm_id,
        period=record.pending_period,
        trigger="nightly",
        status=status,
        message_group=f"firm-{record.firm_id}",
        created_at=when - timedelta(minutes=5),
        finished_at=when,
        diagnoses=[diagnosis("SILAE6")] if status is RunStatus.FAILED else [],
    )
    mail.services.runs.save(run)
    current = mail.services.config.get_dossier(record.dossier_id)
    assert current is not None
    mail.services.config.record_run(current, run, synced=False)
    return run


def threshold_keys(report: RemindersReport) -> list[str]:
    return [key.rsplit("#", 1)[1] for sent in report.sent for key in sent.keys if key.startswith("REMINDER#")]


# ---------------------------------------------------------------------------- thresholds


def test_each_threshold_is_sent_once_on_its_day_over_a_whole_cycle(mail: Mail) -> None:
    """Every morning from 65 days before expiry to 35 days after: 60, 30, 15, 7, 1, then expired, once."""
    generated = date(2026, 5, 10)
    firm(mail, "f-cycle", generated=generated)
    expiry_day = date(2027, 5, 10)  # computed: generation + 1 year, 00:00 UTC = 02:00 in Paris
    sent_on: dict[int, list[str]] = {}
    day = expiry_day - timedelta(days=65)
    while day <= expiry_day + timedelta(days=35):
        with time_machine.travel(morning(day), tick=False):
            report = mail.run(owner=f"req-{day}")
        if report.sent:
            sent_on[(day - expiry_day).days] = threshold_keys(report)
        day += timedelta(days=1)
    assert sent_on == {-60: ["60"], -30: ["30"], -15: ["15"], -7: ["7"], -1: ["1"], 0: ["expired"]}
    subjects = [email.subject for email in mail.sent()]
    assert subjects == [
        "Votre clé d'API de paie expire dans 60 jours — Cabinet f-cycle",
        "Votre clé d'API de paie expire dans 30 jours — Cabinet f-cycle",
        "Votre clé d'API de paie expire dans 15 jours — Cabinet f-cycle",
        "Votre clé d'API de paie expire dans 7 jours — Cabinet f-cycle",
        "Votre clé d'API de paie expire demain — Cabinet f-cycle",
        "Votre clé d'API de paie a expiré — Cabinet f-cycle",
    ]


def test_a_missed_day_is_caught_up_with_the_most_urgent_reminder_only(mail: Mail) -> None:
    firm(mail, "f-late", generated=date(2026, 5, 10))
    # The secret was saved late (or the function was down): first run 10 days before expiry.
    with time_machine.travel(morning(date(2027, 4, 30)), tick=False):
        report = mail.run()
    assert threshold_keys(report) == ["15"]
    with time_machine.travel(morning(date(2027, 5, 1)), tick=False):
        assert mail.run().sent == []  # still the 15-day window: already sent
    with time_machine.travel(morning(date(2027, 5, 3)), tick=False):
        assert threshold_keys(mail.run()) == ["7"]


def test_the_date_announced_by_silae_wins_over_the_computed_one(mail: Mail) -> None:
    today = date(2027, 1, 10)
    firm(mail, "f-header", generated=date(2026, 6, 1))  # computed expiry: 1 June 2027, far away
    with time_machine.travel(morning(today), tick=False):
        assert mail.run().sent == []
        # The worker saw X-PrimaryKeyExpirationWarning: the secret really expires in 7 days.
        announced = morning(today + timedelta(days=7), hour=17)
        mail.services.config.record_secret_expiry("firm", "f-header", announced)
        report = mail.run()
    assert threshold_keys(report) == ["7"]
    (sent,) = mail.sent()
    assert sent.subject == "Votre clé d'API de paie expire dans 7 jours — Cabinet f-header"
    assert "le dimanche 17 janvier 2027" in sent.text


def test_a_new_secret_restarts_the_cycle(mail: Mail) -> None:
    firm(mail, "f-renew", generated=date(2026, 5, 10))  # expires 10 May 2027
    for day in (date(2027, 3, 11), date(2027, 4, 10)):
        with time_machine.travel(morning(day), tick=False):
            mail.run(owner=f"req-{day}")
    assert len(mail.sent()) == 2  # 60 and 30 days
    # 12 April 2027: the firm saves a new secret, generated that day.
    firm(mail, "f-renew", generated=date(2027, 4, 12))
    for day in (date(2027, 4, 12), date(2027, 5, 3), date(2027, 5, 9), date(2027, 5, 11)):
        with time_machine.travel(morning(day), tick=False):
            assert mail.run(owner=f"req-{day}").sent == [], day  # the old cycle is over
    with time_machine.travel(morning(date(2028, 2, 12)), tick=False):  # 60 days before 12 April 2028
        report = mail.run()
    assert threshold_keys(report) == ["60"]
    (key,) = [k for k in report.sent[0].keys if k.startswith("REMINDER#")]
    assert key == "REMINDER#firm#f-renew#2027-04-12#60"
    assert len(mail.sent()) == 3


# ---------------------------------------------------------------------------- send once


def _due_world(mail: Mail, today: date, firms: int = 1) -> None:
    """``firms`` firms, each with a secret expiring in 7 days and a failed dossier."""
    for n in range(firms):
        firm_id = f"f{n}"
        firm(mail, firm_id, generated=today + timedelta(days=7) - timedelta(days=365))
        record = dossier(mail, f"d{n}", firm_id)
        finish_run(mail, record, f"run-{n}", RunStatus.FAILED, morning(today, 2))


def test_retries_and_second_invocations_send_nothing_more(mail: Mail) -> None:
    today = date(2027, 1, 10)
    with time_machine.travel(morning(today), tick=False):
        _due_world(mail, today)
        first = mail.run(owner="req-1")
        again = mail.run(owner="req-1")  # Lambda's retry of the same invocation
        other = mail.run(owner="req-2")  # a duplicate delivery of the schedule
    assert len(first.sent) == 1 and first.reminders_due == 1 and first.failures_due == 1
    assert again.sent == [] and other.sent == []
    with time_machine.travel(morning(today + timedelta(days=1)), tick=False):
        assert mail.run(owner="req-3").sent == []  # still the 7-day window, the failure already told
    assert len(mail.sent()) == 1
    records = {item["pk"]: item["status"] for item in mail.scan()}
    assert records == {
        "DIGEST#f0#2027-01-10": SENT,
        "REMINDER#firm#f0#2026-01-17#7": SENT,
        "FAILURE#run-0": SENT,
    }


class SimulatedCrash(BaseException):
    """The process dies: nothing after this line runs (not even ``except Exception``)."""


@dataclass
class CrashOnce:
    inner: Mailer
    crashed: bool = False

    def send(self, email: OutgoingEmail) -> str:
        if not self.crashed:
            self.crashed = True
            raise SimulatedCrash
        return self.inner.send(email)


@pytest.mark.parametrize("recovery", ["lambda retry, same request id", "another invocation after the lease"])
def test_a_crash_between_claim_and_send_neither_loses_nor_doubles_the_email(
    mail: Mail, recovery: str
) -> None:
    today = date(2027, 1, 10)
    crashing = CrashOnce(mail.mailer)
    with time_machine.travel(morning(today), tick=False):
        _due_world(mail, today)
        with pytest.raises(SimulatedCrash):
            mail.run(owner="req-1", mailer=crashing)
        assert mail.sent() == []
        assert {item["status"] for item in mail.scan()} == {SENDING}
        # Meanwhile another invocation finds the claims alive: it leaves the firm to their owner.
        busy = mail.run(owner="req-2", mailer=crashing)
        assert busy.sent == [] and busy.busy == ["f0"]
    lease = mail.services.settings.notification_lease_seconds
    if recovery.startswith("lambda"):
        moment, owner = morning(today) + timedelta(minutes=1), "req-1"
    else:
        moment, owner = morning(today) + timedelta(seconds=lease + 1), "req-3"
    with time_machine.travel(moment, tick=False):
        report = mail.run(owner=owner, mailer=crashing)
        assert mail.run(owner="req-4").sent == []
    assert len(report.sent) == 1 and len(mail.sent()) == 1
    assert {item["status"] for item in mail.scan()} == {SENT}


@dataclass
class RefuseFor:
    """SES throttles the emails to some addresses, once each."""

    inner: Mailer
    addresses: set[str]
    refused: list[str] = field(default_factory=list)

    def send(self, email: OutgoingEmail) -> str:
        hit = self.addresses.intersection(email.to)
        if hit:
            self.addresses -= hit
            self.refused.extend(sorted(hit))
            raise TransientError("TooManyRequestsException")
        return self.inner.send(email)


def test_an_email_refused_by_ses_is_released_and_sent_by_the_retry_alone(mail: Mail) -> None:
    today = date(2027, 1, 10)
    flaky = RefuseFor(mail.mailer, {"paie@f0.fr"})
    with time_machine.travel(morning(today), tick=False):
        _due_world(mail, today, firms=2)
        with pytest.raises(RemindersIncompleteError):
            mail.run(owner="req-1", mailer=flaky)  # f1's email goes; f0's is refused
        assert [e.message["To"] for e in mail.sent()] == ["paie@f1.fr"]
        retry = mail.run(owner="req-1", mailer=flaky)
    assert [s.firm_id for s in retry.sent] == ["f0"]
    assert sorted(str(e.message["To"]) for e in mail.sent()) == ["paie@f0.fr", "paie@f1.fr"]


def test_an_unverified_sender_is_refused_and_nothing_is_marked_sent(mail: Mail) -> None:
    today = date(2027, 1, 10)
    unverified = SesMailer("nobody@unverified.example")
    with time_machine.travel(morning(today), tick=False):
        _due_world(mail, today)
        with pytest.raises(RemindersIncompleteError):
            mail.run(owner="req-1", mailer=unverified)
        assert SENT not in {item["status"] for item in mail.scan()}
        assert len(mail.run(owner="req-2").sent) == 1  # once SES accepts, the email goes


class AtomicLog(NotificationLog):
    """DynamoDB evaluates a condition and writes atomically; moto in threads does not promise it.
    One lock per call gives moto that guarantee, and nothing more: calls still interleave freely."""

    _lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return super().get(key)

    def claim(self, key: str, **kwargs: Any) -> bool:
        with self._lock:
            return super().claim(key, **kwargs)

    def release(self, keys: Any, *, owner: str) -> None:
        with self._lock:
            super().release(keys, owner=owner)

    def mark_sent(self, keys: list[str], **kwargs: Any) -> bool:
        with self._lock:
            return super().mark_sent(keys, **kwargs)


@dataclass
class SlowMailer:
    """SES taking its time: the other invocations run while an email is being sent."""

    inner: Mailer

    def send(self, email: OutgoingEmail) -> str:
        threading.Event().wait(0.05)
        return self.inner.send(email)


def test_concurrent_invocations_send_one_email_per_firm(mail: Mail) -> None:
    today = date(2027, 1, 10)
    invocations = 4
    reports: list[RemindersReport] = []
    errors: list[BaseException] = []
    start = threading.Barrier(invocations)
    log = AtomicLog(get_reminder_settings().notifications_table)

    def invoke(owner: str) -> None:
        try:
            start.wait(timeout=10)
            reports.append(mail.run(owner=owner, mailer=SlowMailer(mail.mailer), log=log))
        except BaseException as error:
            errors.append(error)

    with time_machine.travel(morning(today), tick=False):
        _due_world(mail, today, firms=3)
        threads = [threading.Thread(target=invoke, args=(f"req-{n}",)) for n in range(invocations)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
    assert errors == []
    assert sorted(str(e.message["To"]) for e in mail.sent()) == ["paie@f0.fr", "paie@f1.fr", "paie@f2.fr"]
    assert sorted(s.firm_id for r in reports for s in r.sent) == ["f0", "f1", "f2"]
    assert {item["status"] for item in mail.scan()} == {SENT}


# ---------------------------------------------------------------------------- failures and digests


def test_a_dossier_is_reported_when_its_latest_run_failed_and_once_per_failure(mail: Mail) -> None:
    firm(mail, "f-ops")  # no payroll secret at firm level: failures only
    failing = dossier(mail, "d-fail", "f-ops", contacts=("gestionnaire@f-ops.fr",), name="Garage Leroy")
    recovered = dossier(mail, "d-ok", "f-ops", name="Café de la Gare")
    day1 = date(2027, 1, 10)
    with time_machine.travel(morning(day1), tick=False):
        finish_run(mail, failing, "run-1", RunStatus.FAILED, morning(day1, 2))
        finish_run(mail, recovered, "run-2", RunStatus.FAILED, morning(day1, 2))
        finish_run(mail, recovered, "run-3", RunStatus.SUCCEEDED, morning(day1, 3))  # re-run on demand: fixed
        report = mail.run()
    assert [k for sent in report.sent for k in sent.keys if k.startswith("FAILURE#")] == ["FAILURE#run-1"]
    (first,) = mail.sent()
    assert first.subject == "La synchronisation de la paie a échoué pour Garage Leroy — Cabinet f-ops"
    assert first.message["To"] == "paie@f-ops.fr, gestionnaire@f-ops.fr"
    assert "SILAE6 — Aucun journal d'OD PAIE n'est paramétré." in first.text
    assert "Créez dans MyUnisoft un journal de type « OD Paie »" in first.text
    assert "Café de la Gare" not in first.text
    day2 = day1 + timedelta(days=1)
    with time_machine.travel(morning(day2), tick=False):
        assert mail.run().sent == []  # nothing new since the last email
    day3 = day2 + timedelta(days=1)
    with time_machine.travel(morning(day3), tick=False):
        finish_run(mail, failing, "run-4", RunStatus.FAILED, morning(day3, 2))  # failed again last night
        assert [s.firm_id for s in mail.run().sent] == ["f-ops"]
    assert len(mail.sent()) == 2


def test_one_email_per_firm_lists_everything_and_adds_the_dossiers_contacts(mail: Mail) -> None:
    today = date(2027, 1, 10)
    expiring = today + timedelta(days=7) - timedelta(days=365)
    with time_machine.travel(morning(today), tick=False):
        firm(mail, "f-a", generated=expiring, contacts=("paie@a.fr", "associe@a.fr"))
        own = dossier(
            mail,
            "d-own",
            "f-a",
            contacts=("client-own@a.fr",),
            own_secret_generated=today + timedelta(days=30) - timedelta(days=365),
            name="Transports Bernard",
        )
        failed = dossier(
            mail, "d-failed", "f-a", contacts=("client-failed@a.fr", "PAIE@a.fr"), name="Pharmacie"
        )
        dossier(mail, "d-quiet", "f-a", contacts=("client-quiet@a.fr",))
        finish_run(mail, failed, "run-a", RunStatus.FAILED, morning(today, 2))
        firm(mail, "f-b", contacts=("paie@b.fr",))
        other = dossier(mail, "d-b", "f-b", name="Boulangerie")
        finish_run(mail, other, "run-b", RunStatus.FAILED, morning(today, 2))
        firm(mail, "f-none", contacts=())
        silent = dossier(mail, "d-none", "f-none")
        finish_run(mail, silent, "run-none", RunStatus.FAILED, morning(today, 2))
        report = mail.run()
    assert own.payroll_override is not None
    by_firm = {str(e.message["To"]).split(",")[0]: e for e in mail.sent()}
    assert len(mail.sent()) == 2 and set(by_firm) == {"paie@a.fr", "paie@b.fr"}
    a = by_firm["paie@a.fr"]
    assert a.message["To"] == "paie@a.fr, associe@a.fr, client-own@a.fr, client-failed@a.fr"
    assert (
        a.subject
        == "Votre clé d'API de paie expire dans 7 jours et une synchronisation a échoué — Cabinet f-a"
    )
    for words in (
        "Identifiants de paie du cabinet",
        "expire dans 7 jours",
        "Identifiants de paie propres au dossier Transports Bernard",
        "expire dans 30 jours",
        "Dossier Pharmacie",
    ):
        assert words in a.text and words in a.html, words
    assert a.text.index("expire dans 7 jours") < a.text.index("expire dans 30 jours")
    assert report.without_recipient == ["f-none"]  # said in the logs and metrics, never dropped silently
    assert "FAILURE#run-none" not in {item["pk"] for item in mail.scan()}  # still to be told


def test_nothing_is_sent_when_nothing_is_due(mail: Mail) -> None:
    today = date(2027, 1, 10)
    with time_machine.travel(morning(today), tick=False):
        firm(mail, "f-calm", generated=today - timedelta(days=100))  # 265 days left
        firm(mail, "f-nopayroll")
        calm = dossier(mail, "d-calm", "f-calm", own_secret_generated=today - timedelta(days=10))
        dossier(mail, "d-plain", "f-calm")
        finish_run(mail, calm, "run-ok", RunStatus.SUCCEEDED, morning(today, 2))
        finish_run(mail, calm, "run-partial", RunStatus.PARTIAL, morning(today, 3))
        report = mail.run()
        # Sparse indexes: nothing expiring soon, no failed run; nothing read beyond them.
        since, until = today - timedelta(days=31), today + timedelta(days=61)
        assert list(mail.services.config.expiring_credentials(since, until)) == []
        assert list(mail.services.runs.failed_since(today - timedelta(days=14))) == []
    assert report.sent == [] and report.reminders_due == 0 and report.failures_due == 0
    assert mail.sent() == [] and mail.scan() == []


# ---------------------------------------------------------------------------- the demo world, end to end


def test_the_demo_world_gets_one_email_per_firm_with_no_secret_in_it(mail: Mail, world) -> None:  # type: ignore[no-untyped-def]
    from functions.key_expiry_reminders import app
    from local.lambda_runtime import fake_context

    run_nightly(mail.env, NIGHT)
    drain(mail.env)
    event = json.loads((REPO_ROOT / "events" / "key_expiry_reminders.json").read_text(encoding="utf-8"))
    result = app.handler(event, fake_context("KeyExpiryRemindersFunction"))
    assert result["emails_sent"] == 2 and result["reminders_due"] == 1 and result["failures_due"] == 4
    emails = {str(e.message["To"]): e for e in mail.sent()}
    lemoine = emails["contact@fiduciaire-lemoine.fr"]
    assert lemoine.subject.startswith("Votre clé d'API de paie expire dans 6 jours")
    assert lemoine.subject.endswith("— Fiduciaire Lemoine")
    dupont = emails["paie@dupont-associes.fr"]
    assert (
        dupont.subject == "La synchronisation de la paie a échoué pour 2 dossiers — Cabinet Dupont & Associés"
    )
    assert "Cabinet Dupont &amp; Associés" in dupont.html
    secrets = [
        "secret-dupont-71b2",
        "secret-lemoine-0c4d",
        "secret-bernard-5a19",
        "key-dupont-aa01",
        "key-lemoine-bb02",
        "key-bernard-cc03",
        "tok-cabinet-dupont",
        "tok-societe-",
        "demo-partner-secret-9f8e7d",
        "cid-lemoine-93f0",  # not a secret, but only ever shown masked
    ]
    for sent in emails.values():
        raw = sent.message.as_string()
        for secret in secrets:
            assert secret not in raw and secret not in sent.text and secret not in sent.html, secret
    # Both alternatives reached SES.
    assert all(e.text.strip() and "<html" in e.html for e in emails.values())


def test_the_index_follows_the_announced_expiry(mail: Mail) -> None:
    today = date(2027, 1, 10)
    firm(mail, "f-idx", generated=date(2026, 6, 1))
    since, until = today - timedelta(days=31), today + timedelta(days=61)
    assert list(mail.services.config.expiring_credentials(since, until)) == []
    mail.services.config.record_secret_expiry(
        "dossier", "nope", datetime(2027, 1, 20, tzinfo=UTC)
    )  # no such set
    mail.services.config.record_secret_expiry("firm", "f-idx", datetime(2027, 1, 20, tzinfo=UTC))
    (found,) = mail.services.config.expiring_credentials(since, until)
    assert isinstance(found, Firm) and found.payroll is not None
    assert found.payroll.expires_at == datetime(2027, 1, 20, tzinfo=UTC)
