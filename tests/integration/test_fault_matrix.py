"""The whole fault matrix (``tests.faultmatrix.matrix``): every vendor fault kind × every crash
point × the fake MyUnisoft's switch sets, plus the AWS-side faults, through the real handlers on
one local stack. Its table is printed at the end of the session; what must be 0 is asserted here.
"""

from __future__ import annotations

import pytest

from tests.conftest import record_summary
from tests.faultmatrix.aws import AWS_NIGHTS
from tests.faultmatrix.existence import EXISTENCE_PATHS
from tests.faultmatrix.matrix import MATRIX_POINTS, SES_NIGHT, matrix_behaviours, run_matrix
from tests.faultmatrix.replace import REPLACE_ROW
from tests.faultmatrix.report import MatrixReport
from tests.faultmatrix.vendor import FAULT_KINDS, MYUNISOFT_KINDS, SILAE_KINDS


@pytest.fixture(scope="module")
def report(pytestconfig: pytest.Config) -> MatrixReport:
    found = run_matrix()
    record_summary(pytestconfig, f"fault matrix\n{found.table()}")
    return found


def test_every_combination_ran(report: MatrixReport) -> None:
    behaviours = len(matrix_behaviours())
    assert report.rows["Silae faults"].combinations == len(SILAE_KINDS) * len(MATRIX_POINTS) * behaviours
    assert (
        report.rows["MyUnisoft faults"].combinations == len(MYUNISOFT_KINDS) * len(MATRIX_POINTS) * behaviours
    )
    for night in AWS_NIGHTS:
        assert report.rows[f"AWS: {night.name}"].combinations == 1
    assert report.rows[SES_NIGHT].expected > 0
    assert report.rows[REPLACE_ROW].combinations == len(FAULT_KINDS) * len(MATRIX_POINTS)
    assert (
        report.total.combinations
        == len(FAULT_KINDS) * len(MATRIX_POINTS) * (behaviours + 1) + len(AWS_NIGHTS) + 1
    )


def test_every_pair_of_fault_and_crash_point_met_every_existence_path(report: MatrixReport) -> None:
    """The paths rotate over the pairs from one switch set to the next: with at least as many
    switch sets as paths, each pair met each path; none of them posted twice or lost an entry."""
    assert len(matrix_behaviours()) >= len(EXISTENCE_PATHS)
    assert set(report.existence) == {path.name for path in EXISTENCE_PATHS}
    vendor = report.rows["Silae faults"].combinations + report.rows["MyUnisoft faults"].combinations
    assert sum(t.combinations for t in report.existence.values()) == vendor
    for name, tally in report.existence.items():
        assert tally.duplicates == 0 and tally.lost == 0, (name, tally.problems)


def test_every_crash_point_and_every_aws_fault_was_met(report: MatrixReport) -> None:
    assert set(report.crashes) == set(MATRIX_POINTS), report.crashes
    never = [problem for problem in report.total.problems if "never met" in problem]
    assert never == []


def test_no_entry_is_posted_twice(report: MatrixReport) -> None:
    assert report.total.duplicates == 0, report.total.problems


def test_paysync_never_asked_myunisoft_to_post_an_entry_twice(report: MatrixReport) -> None:
    """Under the switch sets where the fake enforces uniqueness, it never had to refuse a POST:
    whatever MyUnisoft does about duplicates, the guarantee did not lean on it."""
    assert report.duplicates_refused == 0


def test_no_entry_is_lost(report: MatrixReport) -> None:
    assert report.total.lost == 0, report.total.problems
    assert report.total.in_myunisoft == report.total.expected > 0


def test_no_run_is_stuck(report: MatrixReport) -> None:
    assert report.total.stuck == 0, report.total.problems


def test_the_dead_letter_queue_holds_transient_exhaustion_only(report: MatrixReport) -> None:
    assert report.total.dead_letters_not_transient == 0, report.total.problems
