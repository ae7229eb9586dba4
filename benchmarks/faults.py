"""Benchmark 6: the whole fault matrix (``tests.faultmatrix.matrix``), its table repeated here.

Every vendor fault kind × every crash point × the fake MyUnisoft's switch sets, plus the AWS-side
faults, through the real handlers on a local stack of its own. Not a timing: the counts that must
be 0 (entries posted twice, entries lost, runs stuck, runs in the dead-letter queue for a cause
retrying cannot cure) are held to 0; the rest is reported. ``--tiny`` runs one switch set, one fault
kind per vendor and no AWS night: every path runs, the counts mean little.
"""

from __future__ import annotations

from benchmarks.common import Result, say, verdict


def run_faults(*, tiny: bool = False) -> list[Result]:
    from local.fakes.myunisoft import Behaviour
    from tests.faultmatrix.matrix import run_matrix
    from tests.faultmatrix.vendor import MYUNISOFT_KINDS, SILAE_KINDS

    if tiny:
        report = run_matrix(
            behaviours=[Behaviour()],
            kinds=[SILAE_KINDS[1], MYUNISOFT_KINDS[-1]],
            aws_nights=(),
            reminders=False,
        )
    else:
        report = run_matrix()
    say(f"fault matrix\n{report.table()}")
    total = report.total
    rows = {
        name: {key: value for key, value in vars(row).items() if key != "problems"}
        for name, row in report.rows.items()
    }
    details: dict[str, object] = {"problems": total.problems[:20], "rows": rows}

    def zero(name: str, value: int) -> Result:
        return Result(
            name=f"6. fault matrix: {name}",
            value=value,
            unit="count",
            goal="0",
            compared_with="none allowed",
            bound=0,
            verdict=verdict(value == 0),
            details=details,
        )

    return [
        Result(
            name="6. fault matrix: combinations run",
            value=total.combinations,
            unit="count",
            goal="every fault kind × crash point × switch set, + AWS faults",
            compared_with="-",
            bound=None,
            verdict="info",
            details={"crashes": dict(report.crashes)},
        ),
        Result(
            name="6. fault matrix: entries in MyUnisoft / expected",
            value=total.in_myunisoft / total.expected if total.expected else None,
            unit="ratio",
            goal="1",
            compared_with="entries expected",
            bound=total.expected,
            verdict=verdict(total.in_myunisoft == total.expected),
        ),
        zero("entries posted twice", total.duplicates),
        zero("entries lost", total.lost),
        zero("runs stuck", total.stuck),
        zero("runs in the DLQ, not transient", total.dead_letters_not_transient),
        zero("POSTs refused by MyUnisoft as duplicates", report.duplicates_refused),
    ]
