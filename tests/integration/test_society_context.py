"""The society facts in the sync (``paysync.usecases.society_context``): kept by the first run,
reused by the next month's, read again when too old, when MyUnisoft contradicts them, and before an
account is concluded missing. And the existence check's cost: none for a period never attempted.

One local stack for the module; each test a night (a period) of its own, on one société dossier.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import boto3
import pytest

from benchmarks.world import FirmSpec
from paysync.domain.models import RunStatus
from tests.faultmatrix.nights import Night, NightStack, night_stack
from tests.faultmatrix.scenarios import extra_run, queue_and_drain

DIARY, EXERCICE, ACCOUNT = "/api/v1/diary", "/api/v1/society/exercice", "/api/v1/account"
LISTING, LOOKUP, POST = "/api/v1/mad/entries", "/api/v1/entry/id", "/api/v1/entry"


@pytest.fixture(scope="module")
def stack() -> Iterator[NightStack]:
    with night_stack([FirmSpec(1, False)], entries=lambda index: 2) as shared:
        yield shared


def run_night(night: Night) -> Counter[str]:
    """Plan and drain the night; MyUnisoft's calls by path."""
    fake = night.env.myunisoft
    mark = len(fake.calls)
    night.plan()
    night.drain()
    return Counter(path for _method, path, *_ in fake.calls[mark:])


def society(night: Night) -> int:
    return int(night.items[0].dossier.society_id or 0)


def test_a_later_month_asks_myunisoft_for_its_posts_only(stack: NightStack) -> None:
    first = stack.night()
    first_calls = run_night(first)
    assert first.tally().clean and first.tally().in_myunisoft == 2
    assert first_calls[DIARY] <= 1 and first_calls[EXERCICE] <= 1 and first_calls[ACCOUNT] <= 1
    later = stack.night()
    calls = run_night(later)
    assert calls == Counter({POST: 2})  # facts kept, the period never attempted: nothing to check
    assert {run.status for run in later.runs()} == {RunStatus.SUCCEEDED}


def test_facts_older_than_the_setting_are_read_again(stack: NightStack) -> None:
    run_night(stack.night())
    night = stack.night()
    store = night.services.society_facts
    kept = store.get(society(night))
    old = datetime.now(UTC) - timedelta(days=night.services.settings.society_facts_max_age_days, hours=1)
    store.forget(society(night))
    store.save_journal(society(night), kept.journal.value, old)
    store.save_fiscal_years(society(night), kept.fiscal_years.value, old)
    store.save_chart(society(night), kept.chart.value, old)
    calls = run_night(night)
    assert (calls[DIARY], calls[EXERCICE], calls[ACCOUNT]) == (1, 1, 1)
    assert night.tally().clean
    assert store.get(society(night)).journal.fetched_at > old  # kept again, fresh


def test_a_journal_closed_since_it_was_kept_is_read_again_on_myunisofts_refusal(stack: NightStack) -> None:
    """MyUnisoft refuses the POST (JOURNAL2) into the kept journal: the run is retried on fresh
    facts and says what a run without the cache said, JOURNAL2, before posting anything."""
    run_night(stack.night())
    night = stack.night()
    fake, society_id = night.env.myunisoft, society(night)
    diary_id = night.services.society_facts.get(society_id).journal.value.diary_id
    fake.close_diary(society_id, diary_id)
    try:
        calls = run_night(night)
    finally:
        fake.close_diary(society_id, diary_id, closed=False)
    (run,) = night.runs()
    assert run.status is RunStatus.FAILED
    assert [d.code for d in run.diagnoses] == ["JOURNAL2"]
    assert calls[POST] == 1 and calls[DIARY] == 1  # one refused POST, then the journal read again
    assert night.services.society_facts.get(society_id).journal is None  # a closed one is not kept
    assert night.dead_letters() == []


def test_an_account_missing_from_the_kept_chart_is_read_again_before_it_is_concluded_missing(
    stack: NightStack,
) -> None:
    run_night(stack.night())
    night = stack.night()
    store, society_id = night.services.society_facts, society(night)
    kept = store.get(society_id).chart
    store.forget(society_id, "chart")
    store.save_chart(society_id, kept.value[1:], datetime.now(UTC))  # one account short
    calls = run_night(night)
    assert calls[ACCOUNT] == 1
    assert night.tally().clean and {run.status for run in night.runs()} == {RunStatus.SUCCEEDED}
    assert len(store.get(society_id).chart.value) == len(kept.value)  # the fresh chart kept


def test_a_period_attempted_before_is_checked_with_one_listing(stack: NightStack) -> None:
    night = stack.night()
    run_night(night)
    dossier_id = night.items[0].dossier.dossier_id
    fake = night.env.myunisoft

    def sync_again(name: str) -> Counter[str]:
        mark = len(fake.calls)
        queue_and_drain(night, [extra_run(night, name, dossier_id)])
        return Counter(path for _method, path, *_ in fake.calls[mark:])

    assert sync_again("again") == Counter()  # the ledger says both are posted: no call at all
    ledger = boto3.resource("dynamodb").Table(night.services.settings.ledger_table)
    for pid in night.partner_ids(night.items[0]):
        ledger.delete_item(Key={"partner_id": pid})
    # The ledger lost: one listing finds both, neither is looked up nor posted again.
    assert sync_again("after-the-ledger-was-lost") == Counter({LISTING: 1})
    assert night.tally().clean
