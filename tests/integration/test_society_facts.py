"""SocietyFactsRepository on the table template.yaml declares (moto server): each fact kept with
its fetch time, written alone, never replaced by an older fetch, forgotten on demand; a chart too
large for one item is not kept."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from local.provision import provision
from paysync.aws.services import reset_clients
from paysync.domain.accounts import ChartAccount
from paysync.storage.society_facts import (
    CHART_MAX_BYTES,
    FiscalYear,
    PayrollJournal,
    SocietyFacts,
    SocietyFactsRepository,
    encode_chart,
)
from tests.aws_endpoint import fresh_aws

T0 = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)
JOURNAL = PayrollJournal(31420, "OD PAIE")
YEARS = (
    FiscalYear(6354, date(2026, 1, 1), date(2026, 12, 31), closed=False),
    FiscalYear(6353, date(2025, 1, 1), date(2025, 12, 31), closed=True),
)
CHART = (
    ChartAccount(1157868, "421000", "Personnel - rémunérations dues"),
    ChartAccount(1157869, "641100", "Salaires"),
    ChartAccount(1157870, "431000", "Sécurité sociale « URSSAF »"),
)


@pytest.fixture
def facts(monkeypatch: pytest.MonkeyPatch) -> Iterator[SocietyFactsRepository]:
    resources = provision(endpoint_url=fresh_aws(monkeypatch))
    reset_clients()
    yield SocietyFactsRepository(resources.name("SocietyFactsTable"))
    reset_clients()


def test_an_unknown_society_has_no_facts(facts: SocietyFactsRepository) -> None:
    assert facts.get(101) == SocietyFacts(101)


def test_each_fact_is_kept_with_its_fetch_time(facts: SocietyFactsRepository) -> None:
    assert facts.save_journal(101, JOURNAL, T0)
    assert facts.save_fiscal_years(101, YEARS, T0 + timedelta(seconds=1))
    assert facts.save_chart(101, CHART, T0 + timedelta(seconds=2))
    known = facts.get(101)
    assert known.journal is not None and known.fiscal_years is not None and known.chart is not None
    assert (known.journal.value, known.journal.fetched_at) == (JOURNAL, T0)
    assert (known.fiscal_years.value, known.fiscal_years.fetched_at) == (YEARS, T0 + timedelta(seconds=1))
    assert (known.chart.value, known.chart.fetched_at) == (CHART, T0 + timedelta(seconds=2))
    assert facts.get(102) == SocietyFacts(102)  # per society


def test_a_fact_is_written_alone(facts: SocietyFactsRepository) -> None:
    facts.save_journal(101, JOURNAL, T0)
    facts.save_chart(101, CHART, T0)
    later = T0 + timedelta(days=3)
    renumbered = (*CHART[:2], ChartAccount(1157871, "431100", "URSSAF"))
    assert facts.save_chart(101, renumbered, later)
    known = facts.get(101)
    assert known.chart is not None and (known.chart.value, known.chart.fetched_at) == (renumbered, later)
    assert known.journal is not None and (known.journal.value, known.journal.fetched_at) == (JOURNAL, T0)
    assert known.fiscal_years is None


def test_an_older_fetch_never_replaces_a_newer_one(facts: SocietyFactsRepository) -> None:
    newer = PayrollJournal(31421, "PAIE2")
    assert facts.save_journal(101, newer, T0 + timedelta(hours=1))
    assert not facts.save_journal(101, JOURNAL, T0)  # a slower run's fetch, started earlier
    known = facts.get(101).journal
    assert known is not None and known.value == newer
    assert facts.save_journal(101, JOURNAL, T0 + timedelta(hours=1))  # the same time: kept


def test_fetch_times_compare_across_timezones(facts: SocietyFactsRepository) -> None:
    paris = T0.astimezone(ZoneInfo("Europe/Paris"))
    assert facts.save_fiscal_years(101, YEARS, paris)
    assert not facts.save_fiscal_years(101, (), T0 - timedelta(microseconds=1))
    known = facts.get(101).fiscal_years
    assert known is not None and known.fetched_at == T0 and known.value == YEARS
    with pytest.raises(ValueError, match="timezone"):
        facts.save_journal(101, JOURNAL, datetime(2026, 11, 21, 2, 30))


def test_facts_in_doubt_are_forgotten(facts: SocietyFactsRepository) -> None:
    facts.save_journal(101, JOURNAL, T0)
    facts.save_fiscal_years(101, YEARS, T0)
    facts.save_chart(101, CHART, T0)
    facts.forget(101, "chart")
    known = facts.get(101)
    assert known.chart is None and known.journal is not None and known.fiscal_years is not None
    facts.forget(101)
    assert facts.get(101) == SocietyFacts(101)
    facts.forget(202)  # nothing known: nothing written
    table = facts._table
    assert "Item" not in table.get_item(Key={"society_id": 202})
    # forgotten, then fetched again (even with an older clock): kept
    assert facts.save_chart(101, CHART, T0 - timedelta(minutes=1))


def test_a_large_chart_is_kept_compressed(facts: SocietyFactsRepository) -> None:
    chart = tuple(
        ChartAccount(2_000_000 + n, f"{401000 + n:06d}", f"Fournisseur {n} - compte de tiers")
        for n in range(5000)
    )
    assert len(encode_chart(chart)) < 100_000
    assert facts.save_chart(101, chart, T0)
    known = facts.get(101).chart
    assert known is not None and known.value == chart


def test_a_chart_too_large_for_an_item_is_not_kept(facts: SocietyFactsRepository) -> None:
    rng = random.Random(7)
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
    huge = tuple(
        ChartAccount(n, f"{n:010d}", "".join(rng.choice(letters) for _ in range(40))) for n in range(20_000)
    )
    assert len(encode_chart(huge)) > CHART_MAX_BYTES
    facts.save_journal(101, JOURNAL, T0)
    facts.save_chart(101, CHART, T0)
    assert not facts.save_chart(101, huge, T0 + timedelta(days=1))
    known = facts.get(101)
    assert known.chart is None  # the older chart is not kept either: it was being replaced
    assert known.journal is not None
