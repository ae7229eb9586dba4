"""Reminder rules (pure): thresholds at their boundaries, expiry source, cycles, failures, digests."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from paysync.domain.diagnoses import diagnosis
from paysync.domain.models import Dossier, Firm, LastRun, PayrollCredentialsInfo, Run, RunEntry, RunStatus
from paysync.domain.reminders import (
    EXPIRED,
    Credential,
    DueReminder,
    build_digests,
    due_reminder,
    expiry_window,
    failed_dossier,
)

PARIS = ZoneInfo("Europe/Paris")
# The secret expires on Monday 15 March 2027 at 10:00 in Paris.
EXPIRES = datetime(2027, 3, 15, 10, 0, tzinfo=PARIS)


def morning(days_before: int, hour: int = 8) -> datetime:
    """``hour`` o'clock in Paris, ``days_before`` calendar days before the expiry day."""
    day = EXPIRES.date() - timedelta(days=days_before)
    return datetime.combine(day, time(hour), tzinfo=PARIS)


@pytest.mark.parametrize(
    ("days_before", "expected"),
    [
        (90, None),
        (61, None),
        (60, "60"),
        (59, "60"),
        (31, "60"),
        (30, "30"),
        (29, "30"),
        (16, "30"),
        (15, "15"),
        (14, "15"),
        (8, "15"),
        (7, "7"),
        (6, "7"),
        (2, "7"),
        (1, "1"),
        (0, "1"),  # the expiry day, at 08:00: the secret still works until 10:00
        (-1, EXPIRED),
        (-30, EXPIRED),
        (-31, None),  # the expired reminder is not sent more than a month late
    ],
)
def test_due_threshold_at_each_boundary(days_before: int, expected: str | None) -> None:
    reminder = due_reminder(EXPIRES, morning(days_before), PARIS)
    assert (reminder.threshold if reminder else None) == expected
    if reminder is not None and not reminder.expired:
        assert reminder.days_left == days_before


def test_expiry_day_turns_expired_at_the_hour() -> None:
    assert due_reminder(EXPIRES, morning(0, hour=9), PARIS).threshold == "1"  # type: ignore[union-attr]
    at_the_hour = due_reminder(EXPIRES, EXPIRES, PARIS)
    assert at_the_hour is not None and at_the_hour.expired and at_the_hour.days_left == 0


def test_days_are_counted_in_the_firms_time_zone_across_a_dst_change() -> None:
    # Paris moves to summer time on 28 March 2027: calendar days still count as days.
    expires = datetime(2027, 4, 3, 12, 0, tzinfo=PARIS)
    now = datetime(2027, 3, 27, 23, 30, tzinfo=UTC)  # already 28 March (00:30) in Paris: 6 days, not 7
    reminder = due_reminder(expires, now, PARIS)
    assert reminder is not None and reminder.threshold == "7" and reminder.days_left == 6


def test_header_date_wins_over_generation_plus_one_year() -> None:
    generated = date(2026, 6, 1)
    computed = PayrollCredentialsInfo(client_id_masked="cid-…0001", secret_generated_on=generated)
    assert computed.expires_at == datetime(2027, 6, 1, tzinfo=UTC)
    learned = computed.model_copy(update={"secret_expires_at": datetime(2027, 5, 28, 9, 0, tzinfo=UTC)})
    credential = Credential("firm", "f1", "f1", learned)
    assert credential.expires_at == datetime(2027, 5, 28, 9, 0, tzinfo=UTC)
    now = datetime(2027, 5, 24, 6, 0, tzinfo=UTC)
    by_computed = due_reminder(Credential("firm", "f1", "f1", computed).expires_at, now, PARIS)
    by_header = due_reminder(credential.expires_at, now, PARIS)
    assert by_computed is not None and by_computed.threshold == "15" and by_computed.days_left == 8
    assert by_header is not None and by_header.threshold == "7" and by_header.days_left == 4


def test_a_new_secret_is_a_new_cycle() -> None:
    old = PayrollCredentialsInfo(client_id_masked="cid-…0001", secret_generated_on=date(2026, 3, 1))
    new = old.model_copy(update={"secret_generated_on": date(2027, 2, 20)})
    a, b = Credential("firm", "f1", "f1", old), Credential("firm", "f1", "f1", new)
    assert a.cycle != b.cycle
    assert (
        DueReminder(a, due_reminder(EXPIRES, morning(7), PARIS)).key
        != DueReminder(  # type: ignore[arg-type]
            b,
            due_reminder(EXPIRES, morning(7), PARIS),  # type: ignore[arg-type]
        ).key
    )
    # A header date learned later does not restart the cycle.
    learned = old.model_copy(update={"secret_expires_at": datetime(2027, 2, 27, tzinfo=UTC)})
    assert Credential("firm", "f1", "f1", learned).cycle == a.cycle
    # Firm- and dossier-level credentials of the same owner id never share a cycle.
    assert Credential("dossier", "f1", "f1", old).cycle != a.cycle


def test_expiry_window_covers_the_lookback_and_the_first_threshold() -> None:
    since, until = expiry_window(date(2027, 3, 15))
    assert since <= date(2027, 3, 15) - timedelta(days=30)
    assert until >= date(2027, 3, 15) + timedelta(days=60)


# ---------------------------------------------------------------------------- failures


def _dossier(dossier_id: str = "d1", firm_id: str = "f1", **kw: object) -> Dossier:
    return Dossier.model_validate(
        {
            "dossier_id": dossier_id,
            "firm_id": firm_id,
            "name": f"Dossier {dossier_id}",
            "pending_period": "2026-10",
        }
        | kw
    )


def _run(run_id: str, status: RunStatus = RunStatus.FAILED, dossier_id: str = "d1") -> Run:
    return Run(
        run_id=run_id,
        dossier_id=dossier_id,
        firm_id="f1",
        period="2026-10",
        trigger="nightly",
        status=status,
        message_group="firm-f1",
        finished_at=datetime(2026, 11, 21, 2, 40, tzinfo=UTC),
        diagnoses=[diagnosis("SILAE10")],
        entries=[
            RunEntry(
                partner_id="p1",
                label="Paie",
                status="blocked",
                debit="1",
                credit="1",
                diagnoses=[diagnosis("COMPTE2", account="438600"), diagnosis("SILAE10")],
            )
        ],
    )


def test_only_the_latest_run_of_a_dossier_counts() -> None:
    run = _run("r1")
    latest = _dossier(last_run=LastRun(run_id="r1", period="2026-10", status="failed"))
    failure = failed_dossier(latest, run)
    assert failure is not None and failure.key == "FAILURE#r1"
    assert [d.code for d in failure.diagnoses] == [
        "SILAE10",
        "COMPTE2",
    ]  # from the run and its entries, once each
    superseded = _dossier(last_run=LastRun(run_id="r2", period="2026-10", status="succeeded"))
    assert failed_dossier(superseded, run) is None
    assert failed_dossier(_dossier(), run) is None  # the dossier never recorded it
    not_failed = _run("r1", status=RunStatus.PARTIAL)
    assert failed_dossier(latest, not_failed) is None


# ---------------------------------------------------------------------------- digests


def _firm(firm_id: str, contacts: list[str], generated: date | None = None) -> Firm:
    payroll = (
        PayrollCredentialsInfo(client_id_masked="cid-…0001", secret_generated_on=generated)
        if generated
        else None
    )
    return Firm(firm_id=firm_id, name=f"Cabinet {firm_id}", contact_emails=contacts, payroll=payroll)


def test_digest_groups_everything_per_firm_and_adds_dossier_contacts_for_dossier_items() -> None:
    day = date(2027, 3, 8)
    now = datetime.combine(day, time(8), tzinfo=PARIS)
    f1 = _firm("f1", ["paie@f1.fr", "Paie@F1.fr "], generated=date(2026, 3, 15))
    f2 = _firm("f2", ["contact@f2.fr"], generated=date(2026, 3, 15))
    override = _dossier(
        "d-own",
        payroll_override=PayrollCredentialsInfo(
            client_id_masked="cid-…0002", secret_generated_on=date(2026, 4, 20)
        ),
        contact_emails=["own@client.fr"],
    )
    failing = _dossier(
        "d-fail",
        contact_emails=["fail@client.fr", "paie@f1.fr"],
        last_run=LastRun(run_id="r1", period="2026-10", status="failed"),
    )
    quiet = _dossier("d-quiet", contact_emails=["quiet@client.fr"])
    credentials = [
        Credential.of_firm(f1),
        Credential.of_firm(f2),
        Credential.of_dossier(override),
        Credential.of_dossier(quiet),
    ]
    reminders = []
    for credential in credentials:
        if credential is None:
            continue
        reminder = due_reminder(credential.expires_at, now, PARIS)
        if reminder is not None:
            reminders.append(DueReminder(credential, reminder))
    failure = failed_dossier(failing, _run("r1", dossier_id="d-fail"))
    assert failure is not None

    digests = build_digests({"f1": f1, "f2": f2}, reminders, [failure], day)

    assert [d.firm.firm_id for d in digests] == ["f1", "f2"]
    first, second = digests
    # f1: its own secret (7 days), the dossier's own secret (43 days: the 60-day reminder), one failure.
    assert [(r.credential.level, r.reminder.threshold) for r in first.reminders] == [
        ("firm", "7"),
        ("dossier", "60"),
    ]
    assert [f.run_id for f in first.failures] == ["r1"]
    assert first.recipients == ["paie@f1.fr", "own@client.fr", "fail@client.fr"]  # deduplicated, no "quiet"
    assert len(first.keys) == 3 and first.key == "DIGEST#f1#2027-03-08"
    # f2: only its firm-level reminder, so only the firm's contacts.
    assert [r.credential.level for r in second.reminders] == ["firm"] and not second.failures
    assert second.recipients == ["contact@f2.fr"]
    # Restricting a digest to what could be claimed drops the others, and their contacts.
    only_firm = first.only([first.reminders[0].key])
    assert only_firm.recipients == ["paie@f1.fr"] and not only_firm.failures


def test_no_digest_when_nothing_is_due_or_the_firm_is_unknown() -> None:
    assert build_digests({"f1": _firm("f1", ["a@f1.fr"])}, [], [], date(2027, 3, 8)) == []
    failure = failed_dossier(
        _dossier(firm_id="gone", last_run=LastRun(run_id="r1", period="2026-10", status="failed")), _run("r1")
    )
    assert failure is not None
    assert build_digests({}, [], [failure], date(2027, 3, 8)) == []
