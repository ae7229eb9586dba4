"""The fingerprint and the watch's state machine (pure)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from paysync.domain.entries import group_content, reversal_content
from paysync.domain.fingerprint import (
    ContentLine,
    EntryContent,
    differences,
    net_by_account,
    parse_partner_id,
    reversal_partner_id,
    version_partner_id,
)
from paysync.domain.payroll import Direction, PayrollGroup, PayrollLine
from paysync.domain.period_diagnoses import period_diagnoses
from paysync.domain.period_states import (
    PeriodFacts,
    PostedVersion,
    SilaeEntry,
    entry_states,
    posted_entries,
)
from paysync.domain.periods import Period

D, C = Direction.DEBIT, Direction.CREDIT
PERIOD = Period(2026, 10)


def content(*lines: tuple[str, Direction, str, str], journal: str = "31") -> EntryContent:
    return EntryContent.of(
        date(2026, 10, 31), journal, (ContentLine(a, d, Decimal(x), label) for a, d, x, label in lines)
    )


SALARIES = content(("641100", D, "1000.00", "Salaires"), ("421000", C, "1000.00", "Net"))
BONUS = content(("641100", D, "1200.00", "Salaires"), ("421000", C, "1200.00", "Net"))


# -- the fingerprint ---------------------------------------------------------------------------------
def test_the_fingerprint_does_not_depend_on_the_order_of_lines() -> None:
    swapped = content(("421000", C, "1000.00", "Net"), ("641100", D, "1000.00", "Salaires"))
    assert swapped.fingerprint == SALARIES.fingerprint


@pytest.mark.parametrize(
    "changed",
    [
        content(("641100", D, "1000.01", "Salaires"), ("421000", C, "1000.01", "Net")),  # amount
        content(("641000", D, "1000.00", "Salaires"), ("421000", C, "1000.00", "Net")),  # account
        content(("641100", C, "1000.00", "Salaires"), ("421000", D, "1000.00", "Net")),  # direction
        content(("641100", D, "1000.00", "Salaire"), ("421000", C, "1000.00", "Net")),  # label
        content(("641100", D, "1000.00", "Salaires"), ("421000", C, "1000.00", "Net"), journal="32"),
    ],
)
def test_every_part_of_the_content_changes_the_fingerprint(changed: EntryContent) -> None:
    assert changed.fingerprint != SALARIES.fingerprint


def test_the_fingerprint_of_a_group_is_that_of_what_is_posted() -> None:
    group = PayrollGroup(
        "Paie",
        (
            PayrollLine("641100", "Salaires", D, Decimal("1000.004")),
            PayrollLine("421000", "", C, Decimal("1000")),
        ),
    )
    found = group_content(group, PERIOD, 31)
    assert [x.amount for x in found.lines] == [Decimal("1000.00"), Decimal("1000.00")]
    assert {x.label for x in found.lines} == {"Salaires", "Paie"}  # an empty label is the entry's
    assert found.journal == "31" and found.day == PERIOD.last_day


def test_a_reversal_swaps_every_direction_and_cancels_the_entry_in_the_books() -> None:
    reversal = reversal_content(SALARIES)
    assert {(x.account, x.direction) for x in reversal.lines} == {("641100", C), ("421000", D)}
    assert all(x.label.startswith("Annulation — ") for x in reversal.lines)
    assert net_by_account([SALARIES, reversal]) == {}
    assert net_by_account([SALARIES, reversal, BONUS]) == net_by_account([BONUS])


def test_differences_name_each_account_before_and_after() -> None:
    found = differences(SALARIES, BONUS)
    assert [(d.account, d.before, d.after) for d in found] == [
        ("421000", Decimal("1000.00"), Decimal("1200.00")),
        ("641100", Decimal("1000.00"), Decimal("1200.00")),
    ]
    assert differences(SALARIES, SALARIES) == []
    assert [(d.before, d.after) for d in differences(SALARIES, None)] == [
        (Decimal("1000.00"), None),
        (Decimal("1000.00"), None),
    ]


def test_partner_ids_carry_the_version() -> None:
    assert version_partner_id("paysync-1-2026-10-ab", 1) == "paysync-1-2026-10-ab"
    assert parse_partner_id(version_partner_id("paysync-1-2026-10-ab", 2)) == (
        "paysync-1-2026-10-ab",
        "entry",
        2,
    )
    assert parse_partner_id(reversal_partner_id("paysync-1-2026-10-ab", 1)) == (
        "paysync-1-2026-10-ab",
        "reversal",
        1,
    )
    assert parse_partner_id("paysync-1-2026-10-ab") == ("paysync-1-2026-10-ab", "entry", 1)


# -- the state machine -------------------------------------------------------------------------------
def posted(base: str, version: int, what: EntryContent, *, step: str = "entry") -> PostedVersion:
    pid = version_partner_id(base, version) if step == "entry" else reversal_partner_id(base, version)
    return PostedVersion(base, pid, step, version, base, what, entry_id=100 + version)  # type: ignore[arg-type]


def facts(
    silae: dict[str, EntryContent],
    steps: list[PostedVersion],
    listed: dict[str, EntryContent] | None,
    *,
    seen: frozenset[str] = frozenset(),
    blocked: frozenset[str] = frozenset(),
) -> PeriodFacts:
    return PeriodFacts(
        silae=tuple(SilaeEntry(b, b, c) for b, c in silae.items()),
        posted=posted_entries(steps),
        listed=listed,
        seen_by_sync=seen,
        blocked=blocked,
    )


def state(found: PeriodFacts) -> list[str]:
    return [f.state for f in entry_states(found)]


def test_in_sync() -> None:
    assert state(facts({"a": SALARIES}, [posted("a", 1, SALARIES)], {"a": SALARIES})) == ["in_sync"]


def test_changed_in_silae_with_its_differences() -> None:
    [found] = entry_states(facts({"a": BONUS}, [posted("a", 1, SALARIES)], {"a": SALARIES}))
    assert found.state == "changed_in_silae" and found.replaceable
    assert [d.account for d in found.differences] == ["421000", "641100"]


def test_a_group_gone_from_silae_is_a_change_in_silae() -> None:
    assert state(facts({}, [posted("a", 1, SALARIES)], {"a": SALARIES})) == ["changed_in_silae"]


def test_deleted_in_myunisoft() -> None:
    assert state(facts({"a": SALARIES}, [posted("a", 1, SALARIES)], {})) == ["deleted_in_myunisoft"]


def test_an_edit_in_myunisoft_wins_over_a_change_in_silae() -> None:
    found = facts({"a": BONUS}, [posted("a", 1, SALARIES)], {"a": content(("641100", D, "1.00", "x"))})
    [finding] = entry_states(found)
    assert finding.state == "changed_in_myunisoft" and not finding.replaceable


def test_without_the_listing_only_silae_is_compared() -> None:
    assert state(facts({"a": SALARIES}, [posted("a", 1, SALARIES)], None)) == ["in_sync"]
    assert state(facts({"a": BONUS}, [posted("a", 1, SALARIES)], None)) == ["changed_in_silae"]


def test_new_in_silae_not_posted_and_blocked() -> None:
    seen = frozenset({"a", "b", "c"})
    found = facts(
        {"a": SALARIES, "b": SALARIES, "c": SALARIES, "d": SALARIES},
        [posted("a", 1, SALARIES)],
        {"a": SALARIES},
        seen=seen,
        blocked=frozenset({"c"}),
    )
    assert state(found) == ["in_sync", "not_posted", "blocked", "new_in_silae"]
    # no sync of the period recorded: nothing can be told new
    assert state(facts({"d": SALARIES}, [], None)) == ["not_posted"]


def test_after_a_replace_the_new_version_is_the_live_one() -> None:
    steps = [
        posted("a", 1, SALARIES),
        posted("a", 1, reversal_content(SALARIES), step="reversal"),
        posted("a", 2, BONUS),
    ]
    listed = {s.partner_id: s.content for s in steps}
    [found] = entry_states(facts({"a": BONUS}, steps, listed))
    assert (found.state, found.version, found.partner_id) == ("in_sync", 2, "a-v2")
    # interrupted between the reversal and the new version: nothing live, the replace goes on
    assert state(facts({"a": BONUS}, steps[:2], listed)) == ["not_posted"]


def test_the_diagnoses_say_it_once_per_kind_with_the_difference() -> None:
    found = entry_states(
        facts({"a": BONUS, "b": SALARIES}, [posted("a", 1, SALARIES), posted("b", 1, SALARIES)], {})
    )
    assert [f.state for f in found] == ["deleted_in_myunisoft", "deleted_in_myunisoft"]
    changed = entry_states(facts({"a": BONUS}, [posted("a", 1, SALARIES)], {"a": SALARIES}))
    [said] = period_diagnoses(PERIOD, changed)
    assert said.code == "PAIE-MODIFIEE" and "10/2026" in said.message
    assert said.details["entries"][0]["differences"][0]["before"] == "1000.00"
    assert [d.code for d in period_diagnoses(PERIOD, found)] == ["ECRITURE-SUPPRIMEE", "ECRITURE-SUPPRIMEE"]
