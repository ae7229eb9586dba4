"""Each of paysync's protections, removed in turn, lets through the harm it exists for.

Each test runs one faulty night of ``tests.faultmatrix.scenarios`` twice, on nights of their own:
with the protection, every entry is in MyUnisoft once and every run finished; without it (the
exact code that provides it monkeypatched away), a duplicate entry or a stuck run is observed, and
asserted. The fake MyUnisoft keeps its defaults: no uniqueness (it never protects paysync), a 404
for an unknown partner id. So these tests fail if a protection stops protecting, and the suite
cannot pass on the fake's merits.

What each protection defends against (``paysync.usecases.posting`` explains the protocol):
- the ledger claim: a second run between another's lookup and its POST;
- a posted record is final: the same period synced again while MyUnisoft's lookup does not see
  fresh entries yet (a plausible, undocumented lag of its search);
- the lookup before the POST: a worker that died after its POST, before the ledger write;
- the lookup after a lost answer: MyUnisoft applied a POST whose answer never came back;
- giving the claim back on a refusal: a refused lookup, fixed at once by the firm, would otherwise
  keep every later run of the period waiting on a claim nobody holds, into the dead-letter queue;
- the witness of the periods attempted (``paysync.storage.period_attempts``, outside the ledger):
  without it a period whose ledger records were lost looks new, and is posted again unchecked;
- lookups for what a listing does not show after a recent attempt: a listing behind MyUnisoft's
  books would otherwise pass for "absent" once the ledger is lost;
- conditional run creation: the planner invoked twice (EventBridge Scheduler delivers at least
  once, and retries) would otherwise put a finished run back to "queued" while SQS FIFO drops its
  message as a duplicate: a run queued for ever.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from benchmarks.world import FirmSpec
from paysync.domain.models import Run
from paysync.myunisoft.client import MyUnisoftClient
from paysync.storage.ledger import GRANTED, Claim, Ledger
from paysync.storage.period_attempts import PeriodAttempts, PriorAttempts
from paysync.storage.runs import RunRepository
from paysync.usecases import existence
from paysync.usecases.posting import EntryPoster
from tests.faultmatrix import scenarios
from tests.faultmatrix.nights import Night, NightStack, night_stack


@pytest.fixture(scope="module")
def stack() -> Iterator[NightStack]:
    # two dossiers: one on a cabinet token with one entry, one on its own token with two
    with night_stack([FirmSpec(1, True), FirmSpec(1, False)], entries=lambda index: index) as shared:
        yield shared


def with_and_without(
    stack: NightStack,
    monkeypatch: pytest.MonkeyPatch,
    scenario: scenarios.Scenario,
    remove: Any,
) -> tuple[Night, Night]:
    """The scenario on a night with the protection, then on another night without it."""
    protected = stack.night()
    with monkeypatch.context() as patches:
        scenario(protected, patches)
    unprotected = stack.night()
    with monkeypatch.context() as patches:
        remove(patches)
        scenario(unprotected, patches)
    return protected, unprotected


def assert_sound(night: Night) -> None:
    tally = night.tally()
    assert tally.duplicates == 0 and tally.lost == 0 and tally.stuck == 0, tally.problems


def assert_sound_for(night: Night, items: list[Any]) -> None:
    tally = night.tally(items)
    assert tally.duplicates == 0 and tally.lost == 0, tally.problems


def duplicates(night: Night) -> int:
    return night.tally().duplicates


def test_without_the_ledger_claim_two_runs_post_one_entry_twice(
    stack: NightStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Ledger.claim

    def remove(patches: pytest.MonkeyPatch) -> None:
        def claim_letting_every_run_through(self: Ledger, partner_id: str, **kwargs: Any) -> Claim:
            claim = original(self, partner_id, **kwargs)
            return claim if claim.granted or claim.posted else GRANTED

        patches.setattr(Ledger, "claim", claim_letting_every_run_through)

    protected, unprotected = with_and_without(
        stack, monkeypatch, scenarios.second_run_between_lookup_and_post, remove
    )
    assert_sound_for(protected, protected.items[:1])
    assert duplicates(unprotected) >= 1


def test_without_a_posted_record_being_final_a_lagging_lookup_lets_a_resync_post_twice(
    stack: NightStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = Ledger.claim

    def remove(patches: pytest.MonkeyPatch) -> None:
        def claim_forgetting_posted_entries(self: Ledger, partner_id: str, **kwargs: Any) -> Claim:
            claim = original(self, partner_id, **kwargs)
            return GRANTED if claim.posted else claim

        patches.setattr(Ledger, "claim", claim_forgetting_posted_entries)

    protected, unprotected = with_and_without(
        stack, monkeypatch, scenarios.synced_again_while_the_lookup_lags, remove
    )
    assert_sound(protected)
    assert duplicates(unprotected) == unprotected.tally().expected  # every entry twice


def test_without_the_lookup_before_the_post_a_worker_killed_after_its_post_posts_twice(
    stack: NightStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    def remove(patches: pytest.MonkeyPatch) -> None:
        patches.setattr(EntryPoster, "_already_in_myunisoft", lambda self, partner_id: None)

    protected, unprotected = with_and_without(
        stack, monkeypatch, scenarios.killed_before_the_ledger_write, remove
    )
    assert_sound(protected)
    assert duplicates(unprotected) >= 1


def test_without_the_lookup_after_a_lost_answer_a_post_is_repeated(
    stack: NightStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    def remove(patches: pytest.MonkeyPatch) -> None:
        patches.setattr(MyUnisoftClient, "_landed", lambda self, partner_id: None)

    protected, unprotected = with_and_without(stack, monkeypatch, scenarios.answer_lost_after_commit, remove)
    assert_sound(protected)
    assert duplicates(unprotected) == len(unprotected.items)  # one lost answer per dossier


def _every_period_new(patches: pytest.MonkeyPatch) -> None:
    """The witness removed: every period looks never attempted, so nothing is checked."""
    patches.setattr(PeriodAttempts, "begin", lambda self, *args: PriorAttempts(history=True))


def _every_listing_trusted(patches: pytest.MonkeyPatch) -> None:
    """No lookup for what the listing does not show, however recent the period's last attempt."""
    patches.setattr(existence, "LISTING_LAG", timedelta(0))


@pytest.mark.parametrize("remove", [_every_period_new, _every_listing_trusted], ids=["witness", "lookups"])
def test_without_the_witness_or_the_lookups_after_a_recent_attempt_a_lost_ledger_posts_twice(
    stack: NightStack, monkeypatch: pytest.MonkeyPatch, remove: Any
) -> None:
    """The ledger lost after each run posted, and MyUnisoft's listing an hour behind its books."""
    protected, unprotected = with_and_without(
        stack, monkeypatch, scenarios.ledger_wiped_while_the_listing_lags, remove
    )
    assert_sound(protected)
    assert duplicates(unprotected) == unprotected.tally().expected  # every entry twice


def test_without_giving_the_claim_back_a_refused_lookup_wedges_the_next_runs(
    stack: NightStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    protected = stack.night()
    scenarios.lookup_refused_then_fixed(protected, monkeypatch)
    assert_sound(protected)
    assert protected.dead_letters() == []

    unprotected = stack.night()
    monkeypatch.setattr(Ledger, "release", lambda self, partner_id, *, run_id: None)
    scenarios.lookup_refused_then_fixed(unprotected, monkeypatch)
    # The runs after the fix wait on claims that no live run holds, until SQS gives up on them:
    # nothing is posted, and each lands in the dead-letter queue as if MyUnisoft had failed.
    wedged = unprotected.tally()
    assert wedged.in_myunisoft == 0 and wedged.lost == wedged.expected
    fixed = _runs_named(unprotected, "fixed")
    assert len(fixed) == len(unprotected.items)
    assert all(run.diagnoses[0].code == "TRANSIENT-EXHAUSTED" for run in fixed)
    assert sorted(unprotected.dead_letters()) == sorted(run.run_id for run in fixed)


def _runs_named(night: Night, name: str) -> list[Run]:
    runs = (
        night.services.runs.get(f"{name}-{item.dossier.dossier_id}-{night.period}") for item in night.items
    )
    return [run for run in runs if run is not None]


def test_without_conditional_run_creation_a_second_planning_leaves_a_run_queued_for_ever(
    stack: NightStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    def remove(patches: pytest.MonkeyPatch) -> None:
        def create_over_anything(self: RunRepository, run: Run) -> bool:
            self.save(run)
            return True

        patches.setattr(RunRepository, "create", create_over_anything)

    protected, unprotected = with_and_without(stack, monkeypatch, scenarios.planner_invoked_twice, remove)
    waiting = protected.items[0]
    assert_sound_for(protected, protected.items[1:])
    assert protected.tally().stuck == 0
    assert protected.tally([waiting]).expected > 0  # its payroll is simply not there yet
    assert unprotected.tally().stuck == 1, unprotected.tally().problems
