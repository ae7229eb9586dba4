"""The pure parts of paysync.storage.society_facts: a fact's freshness and the chart's encoding."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from paysync.domain.accounts import ChartAccount
from paysync.storage.society_facts import Fact, FiscalYear, decode_chart, encode_chart

T0 = datetime(2026, 11, 21, 2, 30, tzinfo=UTC)
WEEK = timedelta(days=7)


def test_a_fact_is_fresh_up_to_its_maximum_age() -> None:
    fact = Fact("x", T0)
    assert fact.age(T0 + timedelta(days=2)) == timedelta(days=2)
    assert fact.is_fresh(T0, WEEK)
    assert fact.is_fresh(T0 + WEEK, WEEK)
    assert not fact.is_fresh(T0 + WEEK + timedelta(seconds=1), WEEK)
    assert not fact.is_fresh(T0, timedelta(0))  # a maximum of 0: never reused


def test_a_fact_from_the_future_is_fresh_only_within_clock_skew() -> None:
    fact = Fact("x", T0)
    assert fact.is_fresh(T0 - timedelta(minutes=1), WEEK)
    assert not fact.is_fresh(T0 - timedelta(hours=1), WEEK)


def test_the_chart_round_trips() -> None:
    chart = (ChartAccount(1, "421000", "Rémunérations dues « net »"), ChartAccount(2, "411NAME", ""))
    assert decode_chart(encode_chart(chart)) == chart
    assert decode_chart(encode_chart(())) == ()


def test_a_fiscal_year_contains_its_days() -> None:
    year = FiscalYear(1, date(2026, 1, 1), date(2026, 12, 31), closed=False)
    assert year.contains(date(2026, 1, 1)) and year.contains(date(2026, 12, 31))
    assert not year.contains(date(2025, 12, 31))
