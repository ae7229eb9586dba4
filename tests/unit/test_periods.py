from datetime import date

import pytest

from paysync.domain.periods import Period, due_date, is_due, last_closed_period


def test_parse_and_format_round_trip() -> None:
    assert str(Period.parse("2026-02")) == "2026-02"
    assert Period.parse(" 2026-10 ") == Period(2026, 10)


@pytest.mark.parametrize("text", ["2026-13", "2026-00", "26-10", "2026/10", "", "abcd-ef"])
def test_parse_rejects_garbage_with_a_french_message(text: str) -> None:
    with pytest.raises(ValueError, match="AAAA-MM"):
        Period.parse(text)


def test_month_arithmetic_crosses_years() -> None:
    assert Period(2026, 12).next() == Period(2027, 1)
    assert Period(2027, 1).previous() == Period(2026, 12)
    assert Period(2024, 2).last_day == date(2024, 2, 29)
    assert Period(2025, 2).last_day == date(2025, 2, 28)


def test_last_closed_period_is_previous_month() -> None:
    assert last_closed_period(date(2026, 1, 3)) == Period(2025, 12)


def test_run_day_past_month_end_means_last_day() -> None:
    # October's payroll is due from the 31st of November, i.e. November 30.
    assert due_date(Period(2026, 10), 31) == date(2026, 11, 30)
    assert due_date(Period(2027, 1), 30) == date(2027, 2, 28)


def test_is_due_on_and_after_run_day_and_picks_up_late_closures() -> None:
    pending = Period(2026, 10)
    assert not is_due(date(2026, 11, 4), pending, 5)
    assert is_due(date(2026, 11, 5), pending, 5)
    # Payroll closed late: still pending, still due the following nights and months.
    assert is_due(date(2026, 12, 2), pending, 5)


@pytest.mark.parametrize("day", [0, 32])
def test_run_day_bounds(day: int) -> None:
    with pytest.raises(ValueError):
        due_date(Period(2026, 10), day)
