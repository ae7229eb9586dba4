"""Faulty nights that each need one of paysync's protections, written once: the exactly-once suite
runs them and finds every entry once, the protections suite runs them with the protection removed
and finds the harm it keeps away. Each takes a fresh ``Night`` and leaves its outcome in it.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from local.fakes.server import Fault
from paysync.domain.models import Run
from paysync.errors import TransientError
from paysync.usecases.posting import EntryPoster
from paysync.usecases.sync_dossier import sync_run
from tests.faultmatrix.aws import FifoDeduplication
from tests.faultmatrix.crashes import LEDGER_WIPED, CrashPoints
from tests.faultmatrix.nights import Night
from tests.faultmatrix.vendor import LOOKUP, POST_ENTRY, myunisoft_selector
from tests.harness import create_run

Scenario = Callable[[Night, pytest.MonkeyPatch], None]


def attempted_earlier(night: Night, *, ago: timedelta = timedelta(hours=1)) -> None:
    """The witness records an attempt of the night's period ``ago`` (that posted nothing): the
    night's runs check existence (one listing, then lookups for what it does not show, the
    attempt being recent) instead of skipping the check on a period never attempted."""
    now = datetime.now(UTC)
    for item in night.items:
        dossier = item.dossier
        night.services.attempts.begin(
            int(dossier.society_id or 0), str(dossier.payroll_dossier_number), str(night.period), now - ago
        )


def extra_run(night: Night, name: str, dossier_id: str) -> Run:
    """Another run of the night's period for a dossier (an on-demand sync, a second trigger)."""
    return create_run(night.env, f"{name}-{dossier_id}-{night.period}", dossier_id, str(night.period))  # type: ignore[no-any-return]


def queue_and_drain(night: Night, runs: list[Run]) -> None:
    night.services.queue.send(runs)
    night.drain()


def second_run_between_lookup_and_post(night: Night, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second run of the same dossier and period (a scheduler retry, an on-demand sync beside the
    nightly one) reaches an entry while the first is between its lookup and its POST."""
    dossier_id = night.items[0].dossier.dossier_id
    first, second = extra_run(night, "first", dossier_id), extra_run(night, "second", dossier_id)
    services = night.services
    original = EntryPoster._already_in_myunisoft
    arrived: list[str] = []

    def lookup_then_the_other_run(self: EntryPoster, partner_id: str) -> Any:
        found = original(self, partner_id)
        if self.run.run_id == first.run_id and not arrived:
            arrived.append(partner_id)
            with suppress(TransientError):  # told to wait: SQS would deliver it again later
                sync_run(services, second.run_id)
        return found

    monkeypatch.setattr(EntryPoster, "_already_in_myunisoft", lookup_then_the_other_run)
    sync_run(services, first.run_id)
    monkeypatch.undo()
    for run in (first, second):
        current = services.runs.get(run.run_id)
        if current is not None and not current.status.finished:
            sync_run(services, run.run_id, receive_count=2)


def synced_again_while_the_lookup_lags(night: Night, monkeypatch: pytest.MonkeyPatch) -> None:
    """The period is synced again (an on-demand sync after the night) while MyUnisoft's lookup and
    its listing do not see fresh entries yet (a search index, an export, behind its writes)."""
    night.env.myunisoft.configure(lookup_lag_seconds=3600)
    night.env.myunisoft.mad_entries.stale_seconds = 3600
    night.plan()
    night.drain()
    queue_and_drain(night, [extra_run(night, "again", item.dossier.dossier_id) for item in night.items])


def killed_before_the_ledger_write(night: Night, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each run's first delivery dies after its POST, before the ledger says posted."""
    CrashPoints(
        lambda run_id, receive_count, point: point == "before_ledger_write" and receive_count == 1
    ).install(monkeypatch)
    night.plan()
    night.drain()


def ledger_wiped_while_the_listing_lags(night: Night, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each run's first delivery posts everything, then dies before saving its outcome, and the
    ledger's records are lost with it (a restored backup); MyUnisoft's listing is an hour behind,
    so it does not show what was posted a moment earlier."""
    night.env.myunisoft.mad_entries.stale_seconds = 3600
    CrashPoints(lambda run_id, receive_count, point: point == LEDGER_WIPED and receive_count == 1).install(
        monkeypatch, ledger_wiped=True
    )
    night.plan()
    night.drain()


def lookup_refused_then_fixed(night: Night, monkeypatch: pytest.MonkeyPatch) -> None:
    """MyUnisoft refuses the lookup (the token lacks the route) of a period attempted before: the
    night fails with a diagnosis. The firm regenerates its token and syncs again at once, within
    the claims' lease."""
    attempted_earlier(night)
    night.env.myunisoft.faults.add(
        Fault(
            "refused", times=None, path_contains=LOOKUP, method="GET", extra={"code": "ERR-FORBIDDEN-ROUTE"}
        )
    )
    night.plan()
    night.drain()
    night.env.myunisoft.faults.clear()
    queue_and_drain(night, [extra_run(night, "fixed", item.dossier.dossier_id) for item in night.items])


def planner_invoked_twice(night: Night, monkeypatch: pytest.MonkeyPatch) -> None:
    """EventBridge Scheduler delivers the night twice, a minute apart (at least once, and retries).
    Meanwhile one dossier's run finished without syncing its period (the payroll is not closed:
    no entries yet), so the dossier is still due. SQS FIFO drops a message whose deduplication id
    it accepted in the last five minutes."""
    waiting = night.items[0]
    night.env.silae.set_payroll(str(waiting.dossier.payroll_dossier_number), night.period, [], [])
    window = FifoDeduplication()
    window.install()
    try:
        night.plan()
        night.drain()
        night.plan()
        night.drain()
    finally:
        window.uninstall()


def answer_lost_after_commit(night: Night, monkeypatch: pytest.MonkeyPatch) -> None:
    """MyUnisoft applies the first POST of each dossier, and its answer never comes back."""
    for item in night.items:
        night.env.myunisoft.faults.add(
            Fault(
                "lost_response",
                times=1,
                path_contains=POST_ENTRY,
                method="POST",
                headers=myunisoft_selector(item),
            )
        )
    night.plan()
    night.drain()
