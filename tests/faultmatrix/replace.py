"""The replace path under the matrix: every vendor fault kind × every crash point, on replace runs.

A clean night posts every dossier's period; then Silae's OD of each changes (a bonus on the first
payslip group: its entry must be reversed and posted again as version 2), and one replace run per
dossier is queued with its fault aimed at its calls and its crash planned. Then the faults stop,
the operator replays the dead-letter queue, and the firm asks for the replace again (it does what
a replace that failed could not), then once more: that one must post nothing. Counted as the vendor nights are, per entry step (the first
versions, the reversals ``-x1``, the new versions ``-v2``): duplicates, steps lost, runs stuck; and
the books: the period's paysync entries in MyUnisoft must net to Silae's current OD, account by
account, or the dossier counts as lost.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from decimal import Decimal
from typing import TYPE_CHECKING

import boto3

from benchmarks.world import SeededDossier
from local.books import add_a_bonus, books_net, linked_numbers, silae_net
from paysync.domain.fingerprint import reversal_partner_id, version_partner_id
from paysync.domain.models import Run
from paysync.ops.replay import replay
from tests.faultmatrix.nights import Night, Tally
from tests.faultmatrix.vendor import faults_for

if TYPE_CHECKING:
    from tests.faultmatrix.matrix import FaultMatrix

REPLACE_ROW = "Replace: vendor faults × crash points"
BONUS = Decimal("10.00")


def replace_run(night: Night, item: SeededDossier, attempt: str) -> Run:
    dossier = item.dossier
    return Run(
        run_id=f"replace-{attempt}-{night.period}-{dossier.dossier_id}",
        dossier_id=dossier.dossier_id,
        firm_id=dossier.firm_id,
        period=str(night.period),
        trigger="on_demand",
        kind="replace",
        message_group=dossier.message_group,
    )


def queue_replaces(night: Night, items: Sequence[SeededDossier], attempt: str) -> list[Run]:
    runs = [replace_run(night, item, attempt) for item in items]
    for run in runs:
        assert night.services.runs.create(run)
    night.services.queue.send(runs)
    return runs


def expected_steps(night: Night, item: SeededDossier) -> list[str]:
    """Every partner id that must be in MyUnisoft once: each group's first version, and for the
    corrected group its reversal and version 2."""
    bases = night.partner_ids(item)
    return [*bases, reversal_partner_id(bases[0], 1), version_partner_id(bases[0], 2)]


def replace_night(matrix: FaultMatrix) -> None:
    pairs = [(kind, point) for point in matrix.points for kind in matrix.kinds]
    items = matrix.vendor_items[: len(pairs)]
    night = matrix.stack.night(items)  # the fake's defaults: no partner-id uniqueness
    night.plan()
    night.drain()  # a clean first sync
    env = matrix.env
    for item in items:
        env.silae.correct_payroll(str(item.dossier.payroll_dossier_number), night.period, add_a_bonus(BONUS))
    settings = env.services.settings
    first = [replace_run(night, item, "1") for item in items]
    for item, run, (kind, point) in zip(items, first, pairs, strict=True):
        attempts = settings.silae.max_attempts if kind.vendor == "silae" else settings.myunisoft.max_attempts
        fake = env.silae if kind.vendor == "silae" else env.myunisoft
        for fault in faults_for(kind, item, attempts=attempts, timeout=settings.myunisoft.timeout_seconds):
            fake.faults.add(fault)
        matrix.planned.plan[run.run_id] = point
    matrix.crashes.enabled = True
    queue_replaces(night, items, "1")
    night.drain()
    # the faults stop; the operator replays the dead-letter queue; the firm asks again
    matrix.crashes.enabled = False
    matrix.planned.clear()
    env.silae.faults.clear()
    env.myunisoft.faults.clear()
    moved = replay(boto3.client("sqs"), env.services.runs, queue_url=env.queue_url, dlq_url=env.dlq_url)
    night.drain()
    again = queue_replaces(night, items, "2")  # does what a failed first replace could not
    night.drain()
    before = _entry_count(night, items)
    repeated = queue_replaces(night, items, "3")  # and once more: nothing left to post
    night.drain()
    tally = tally_replace(night, items, [*first, *again, *repeated])
    posted_again = _entry_count(night, items) - before
    if posted_again or any(r.posted for r in _runs(night, repeated)):
        tally.problems.append(f"a repeated replace posted {posted_again} entries")
        tally.duplicates += max(posted_again, 1)
    tally.dead_letters_not_transient += len(moved.poison)
    tally.combinations = len(items)
    matrix.report.row(REPLACE_ROW).add(tally)


def _entry_count(night: Night, items: Sequence[SeededDossier]) -> int:
    return sum(len(night.env.myunisoft.entries(int(item.dossier.society_id or 0))) for item in items)


def _runs(night: Night, runs: Sequence[Run]) -> list[Run]:
    found = [night.services.runs.get(run.run_id) for run in runs]
    return [run for run in found if run is not None]


def tally_replace(night: Night, items: Sequence[SeededDossier], runs: Sequence[Run]) -> Tally:
    env = night.env
    tally = Tally()
    for item in items:
        society = int(item.dossier.society_id or 0)
        counts = Counter(str(e["entry_origin_partner_id"]) for e in env.myunisoft.entries(society))
        tally.count_once(item.dossier.dossier_id, expected_steps(night, item), counts)
        number = str(item.dossier.payroll_dossier_number)
        books = books_net(
            env.myunisoft, society, night.period, linked_numbers(env.services.links, item.dossier.dossier_id)
        )
        if books != silae_net(env.silae, number, night.period):
            tally.lost += 1
            tally.problems.append(f"{item.dossier.dossier_id}: the books differ from Silae's OD")
    tally.count_unfinished(_runs(night, runs))
    return tally
