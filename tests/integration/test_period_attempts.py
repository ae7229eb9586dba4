"""PeriodAttempts, the existence check's witness, on RunsTable as template.yaml declares it
(moto server): no history proves nothing; with one, exactly one attempt of a period learns it
was never attempted, and the record is outside the runs' index and never a run."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from local.provision import provision
from paysync.aws.services import reset_clients
from paysync.storage.period_attempts import PeriodAttempts, PriorAttempts
from paysync.storage.runs import RunRepository
from tests.aws_endpoint import fresh_aws

T0 = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)


@pytest.fixture
def tables(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[PeriodAttempts, RunRepository]]:
    resources = provision(endpoint_url=fresh_aws(monkeypatch))
    reset_clients()
    name = resources.name("RunsTable")
    yield PeriodAttempts(name), RunRepository(name)
    reset_clients()


def test_without_history_nothing_proves_a_period_new(tables: tuple[PeriodAttempts, RunRepository]) -> None:
    attempts, _ = tables
    first = attempts.begin(101, "000101", "2026-10", T0)
    assert first == PriorAttempts(history=False) and not first.never_attempted


def test_with_history_a_new_period_is_never_attempted_once(
    tables: tuple[PeriodAttempts, RunRepository],
) -> None:
    attempts, _ = tables
    attempts.begin(101, "000101", "2026-10", T0)
    new = attempts.begin(101, "000101", "2026-11", T0 + timedelta(days=30))
    assert new.never_attempted
    again = attempts.begin(101, "000101", "2026-11", T0 + timedelta(days=30, seconds=5))
    assert not again.never_attempted and again.last == T0 + timedelta(days=30)  # the redelivery checks
    assert attempts.begin(101, "000102", "2026-11", T0).history is False  # per payroll dossier
    assert attempts.begin(102, "000101", "2026-11", T0).history is False  # and per society


def test_of_runs_beginning_one_new_period_at_once_exactly_one_skips_the_check(
    tables: tuple[PeriodAttempts, RunRepository],
) -> None:
    attempts, _ = tables
    attempts.begin(101, "000101", "2026-10", T0)
    answers: list[PriorAttempts] = []
    start = threading.Barrier(6)

    def begin() -> None:
        start.wait()
        answers.append(attempts.begin(101, "000101", "2026-11", T0 + timedelta(days=30)))

    threads = [threading.Thread(target=begin) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(answer.never_attempted for answer in answers) == 1


def test_the_witness_is_not_a_run(tables: tuple[PeriodAttempts, RunRepository]) -> None:
    attempts, runs = tables
    attempts.begin(101, "000101", "2026-10", T0)
    assert runs.get(PeriodAttempts.key(101, "000101")) is None
