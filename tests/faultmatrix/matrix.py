"""The whole fault matrix, counted: every vendor fault kind × every crash point (the ledger wiped
among them) × each switch set of the fake MyUnisoft (``matrix_behaviours``), each dossier on one of
the existence check's paths (``tests.faultmatrix.existence``), plus the AWS-side faults, through
the real handlers.

For each switch set one night holds every pair (fault kind, crash point), one dossier each: the
fault is aimed at that dossier's calls (``tests.faultmatrix.vendor``), and its run dies once at
that point. The existence paths rotate over the pairs from one switch set to the next, so every
pair meets every path (a period never attempted; attempted, with the listing up to date, refused,
failing, late). Then the faults stop, the operator replays the dead-letter queue, and the next night
runs: what is still wrong then is wrong for good. Each AWS fault (``tests.faultmatrix.aws``) has a
night of four dossiers under the fake's defaults; SES, which meets no vendor, a morning of
reminders after a night whose runs failed. All on one local stack, in one process.

The cost is moto's (some 5 to 10 ms of CPU per AWS call, about ten calls per delivery): one night
of 75 combinations is some 170 deliveries, about 15 s of CPU.

Counted per family: combinations run, entries expected, entries in MyUnisoft, duplicates, entries
lost, runs stuck (not finished), runs in the dead-letter queue with a cause that retrying could not
cure. The last four must be 0. The replace path (``tests.faultmatrix.replace``) has a night of its
own: every fault kind × crash point on replace runs, under the fake's defaults.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from typing import Any

import boto3

from benchmarks.world import FirmSpec, SeededDossier
from local.fakes.myunisoft import Behaviour, every_behaviour
from local.lambda_runtime import fake_context
from local.ses import sent_emails
from paysync.aws.errors import AwsError
from paysync.domain.diagnoses import DiagnosisKind
from paysync.domain.models import Run, RunStatus
from paysync.errors import TransientError
from paysync.ops.replay import replay
from tests.faultmatrix.aws import AWS_NIGHTS, AwsFault, AwsFaults, AwsNight
from tests.faultmatrix.crashes import CRASH_POINTS, LEDGER_WIPED, CrashPoints, Killed, PlannedCrashes
from tests.faultmatrix.existence import EXISTENCE_PATHS, set_path
from tests.faultmatrix.nights import Night, NightStack, Tally
from tests.faultmatrix.replace import replace_night
from tests.faultmatrix.report import MatrixReport
from tests.faultmatrix.vendor import FAULT_KINDS, FaultKind, faults_for
from tests.harness import reset_library_caches

MATRIX_POINTS = (*CRASH_POINTS, LEDGER_WIPED)
VENDOR_DOSSIERS = len(FAULT_KINDS) * len(MATRIX_POINTS)
# The world: the vendor night's dossiers (half on one cabinet token, half with a token each), the
# AWS nights' few, and three firms of one dossier each for the reminders.
MATRIX_FIRMS = (
    FirmSpec(38, True),
    FirmSpec(VENDOR_DOSSIERS - 38, False),
    FirmSpec(2, True),
    FirmSpec(2, False),
    FirmSpec(1, False),
    FirmSpec(1, False),
    FirmSpec(1, False),
)
# Environment of the matrix's stack: short timeouts (each injected timeout costs one), two attempts
# per call (a fault exhausts them sooner), no rate limit but the injected 429s, secrets cached (the
# Secrets Manager night empties the cache), the SDK's legacy backoff (50 ms steps for DynamoDB).
MATRIX_ENV = {
    "HTTP_TIMEOUT_SECONDS": "0.15",
    "SILAE_MAX_ATTEMPTS": "2",
    "MYUNISOFT_MAX_ATTEMPTS": "2",
    "MYUNISOFT_RATE_LIMIT": "100000",
    "SECRETS_CACHE_SECONDS": "300",
    "AWS_RETRY_MODE": "legacy",
}
MATRIX_FAKE_RATE_LIMIT = 100_000
SAFE_AWS_ENV = {
    "AWS_DEFAULT_REGION": "eu-west-3",
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "POWERTOOLS_TRACE_DISABLED": "true",
    "POWERTOOLS_METRICS_NAMESPACE": "PaysyncFaultMatrix",
    "POWERTOOLS_SERVICE_NAME": "paysync",
}
SES_NIGHT = "SES fails while reminders are sent (emails)"


def matrix_behaviours() -> list[Behaviour]:
    """The switch sets the matrix runs under: uniqueness off, or on with each refusal shape (GBL6,
    409, another code); × the lookup's "absent" as a 404 with a code or an empty 200. The other
    absent bodies (``null``, ``{}``, ``[]``) are read by the same client method; the exactly-once
    suite runs under every one of the fake's combinations (``every_behaviour``)."""
    return [
        behaviour for behaviour in every_behaviour() if behaviour.lookup_not_found in ("404", "200-empty")
    ]


def transient_failure(failure: BaseException) -> bool:
    """What retrying can cure: a transient error, a dying worker, AWS failing for now."""
    return isinstance(failure, TransientError | Killed | AwsError)


class FaultMatrix:
    """Runs the matrix on a ``NightStack`` seeded with ``MATRIX_FIRMS``; crash points installed."""

    def __init__(
        self,
        stack: NightStack,
        crashes: CrashPoints,
        planned: PlannedCrashes,
        *,
        behaviours: Sequence[Behaviour] | None = None,
        kinds: Sequence[FaultKind] = FAULT_KINDS,
        points: Sequence[str] = MATRIX_POINTS,
        aws_nights: Sequence[AwsNight] = AWS_NIGHTS,
        reminders: bool = True,
        replaces: bool = True,
    ) -> None:
        self.stack = stack
        self.replaces = replaces
        self.crashes = crashes
        self.planned = planned
        self.behaviours = list(behaviours if behaviours is not None else matrix_behaviours())
        self.kinds = list(kinds)
        self.points = list(points)
        self.aws_nights = list(aws_nights)
        self.reminders = reminders
        self.aws = AwsFaults()
        items = stack.world.dossiers
        self.vendor_items = items[:VENDOR_DOSSIERS]
        self.aws_items = items[VENDOR_DOSSIERS : VENDOR_DOSSIERS + 4]
        self.ses_items = items[VENDOR_DOSSIERS + 4 :]
        self.report = MatrixReport()

    @property
    def env(self) -> Any:
        return self.stack.env

    def run(self) -> MatrixReport:
        try:
            for number, behaviour in enumerate(self.behaviours):
                self.vendor_night(behaviour, number)
            if self.replaces:
                replace_night(self)
            for aws_night in self.aws_nights:
                self.aws_night(aws_night)
            if self.reminders:
                self.ses_night()
        finally:
            self.aws.uninstall()
            self.crashes.enabled = False
        self.report.crashes.update(self.crashes.kills)
        self.report.duplicates_refused = self.env.myunisoft.duplicates_refused
        return self.report

    # -- the vendor faults × crash points ----------------------------------------------------------
    def vendor_night(self, behaviour: Behaviour, number: int = 0) -> None:
        pairs = [(kind, point) for point in self.points for kind in self.kinds]
        items = self.vendor_items[: len(pairs)]
        night = self.stack.night(items, behaviour=behaviour)
        settings = self.env.services.settings
        paths = [EXISTENCE_PATHS[(n + number) % len(EXISTENCE_PATHS)] for n in range(len(pairs))]
        for item, path in zip(items, paths, strict=True):
            set_path(self.env, item, str(night.period), path, attempts=settings.myunisoft.max_attempts)
        for item, (kind, point) in zip(items, pairs, strict=True):
            attempts = (
                settings.silae.max_attempts if kind.vendor == "silae" else settings.myunisoft.max_attempts
            )
            fake = self.env.silae if kind.vendor == "silae" else self.env.myunisoft
            for fault in faults_for(
                kind, item, attempts=attempts, timeout=settings.myunisoft.timeout_seconds
            ):
                fake.faults.add(fault)
            self.planned.plan[night.run_id(item)] = point
        self.crashes.enabled = True
        night.plan()
        night.drain()
        outcome = self.recover(night)
        for kind in self.kinds:
            family = "Silae faults" if kind.vendor == "silae" else "MyUnisoft faults"
            mine = [item for item, (k, _) in zip(items, pairs, strict=True) if k == kind]
            tally = self.tally(night, mine, outcome)
            tally.combinations = len(mine)
            self.report.row(family).add(tally)
        for path in EXISTENCE_PATHS:
            mine = [item for item, p in zip(items, paths, strict=True) if p == path]
            if mine:
                tally = self.tally(night, mine, outcome)
                tally.combinations = len(mine)
                self.report.existence.setdefault(path.name, Tally()).add(tally)

    # -- AWS -------------------------------------------------------------------------------------------
    def aws_night(self, aws_night: AwsNight) -> None:
        night = self.stack.night(self.aws_items)  # the fake's defaults: no uniqueness, a 404
        faults = aws_night.faults(self.env.services.settings)
        if aws_night.name.startswith("Secrets Manager"):
            reset_library_caches()  # a new container: nothing cached yet, every secret is read
        if aws_night.phase == "planning":
            self._arm(faults)
        night.plan()
        if aws_night.phase == "work":
            self._arm(faults)
        night.drain()
        outcome = self.recover(night)
        tally = self.tally(night, night.items, outcome)
        tally.combinations = 1
        if not self.aws.injected[faults[0].name]:
            tally.problems.append(f"{aws_night.name}: the fault was never met")
        self.aws.injected.clear()
        self.report.row(f"AWS: {aws_night.name}").add(tally)

    def _arm(self, faults: list[AwsFault]) -> None:
        self.aws.clear()
        self.aws.add(*faults)
        self.aws.install()

    def ses_night(self) -> None:
        """Three firms, each a dossier whose run failed; SES refuses the first email; Lambda retries
        the invocation (twice at most, with its request id): one email per firm, none twice."""
        night = self.stack.night(self.ses_items)
        config = self.env.services.config
        contacts: dict[str, str] = {}
        for item in night.items:
            firm_id = item.dossier.firm_id
            contacts[firm_id] = f"paie+{night.period}@{firm_id}.example"
            firm = config.get_firm(firm_id)
            config.put_firm(firm.model_copy(update={"contact_emails": [contacts[firm_id]]}))
            self.env.silae.faults.add(
                faults_for(FaultKind("silae", "unrecoverable"), item, attempts=1, timeout=1.0)[0]
            )
        night.plan()
        night.drain()
        self._arm([AwsFault("ses", "sesv2", ("SendEmail",), "TooManyRequestsException", 429, times=1)])
        from functions.key_expiry_reminders import app

        context = fake_context("KeyExpiryRemindersFunction")
        for _attempt in range(3):  # the invocation and Lambda's two retries of an async event
            try:
                app.handler({"kind": "key_expiry_reminders"}, context)
                break
            except Exception:  # noqa: S112 - Lambda retries it: so does this
                continue
        self.aws.uninstall()
        resources = self.env.resources
        sent = Counter(
            address
            for email in sent_emails(resources.pseudo_parameters["AWS::AccountId"], resources.region)
            for address in set(email.destinations)  # moto repeats the To addresses
            if address in contacts.values()
        )
        tally = Tally(combinations=1, expected=len(contacts))
        for firm_id, address in contacts.items():
            tally.in_myunisoft += min(sent[address], 1)  # the "delivered" column, for emails
            if sent[address] > 1:
                tally.duplicates += sent[address] - 1
                tally.problems.append(f"{firm_id}: {sent[address]} emails")
            if sent[address] == 0:
                tally.lost += 1
                tally.problems.append(f"{firm_id}: no email")
        if not self.aws.injected["ses"]:
            tally.problems.append("SES: the fault was never met")
        self.report.row(SES_NIGHT).add(tally)

    # -- after the faults --------------------------------------------------------------------------
    def recover(self, night: Night) -> dict[str, Any]:
        """Faults stop; the operator replays the dead-letter queue; the next night runs. Returns
        what the dead-letter queue held, judged by the runs as they were then."""
        self.crashes.enabled = False
        self.planned.clear()
        self.aws.uninstall()
        self.env.silae.faults.clear()
        self.env.myunisoft.faults.clear()
        before = {run.run_id: run for run in night.runs()}
        moved = replay(
            boto3.client("sqs"),
            self.env.services.runs,
            queue_url=self.env.queue_url,
            dlq_url=self.env.dlq_url,
        )
        night.drain()
        night.plan(night=night.next_day())
        night.drain()
        return {"dead": [*moved.replayed, *moved.already_finished], "before": before, "poison": moved.poison}

    def tally(self, night: Night, items: Sequence[SeededDossier], outcome: dict[str, Any]) -> Tally:
        tally = night.tally(items)
        ours = {night.run_id(item) for item in items} | {
            night.run_id(item, night.next_day()) for item in items
        }
        for run_id in outcome["dead"]:
            if run_id not in ours:
                continue
            run: Run | None = outcome["before"].get(run_id)
            failures = self.crashes.failures.get(run_id, [])
            said_transient = (
                run is not None
                and run.status is RunStatus.FAILED
                and all(d.kind is DiagnosisKind.TRANSIENT for d in run.diagnoses)
            )
            if not said_transient or not all(transient_failure(f) for f in failures):
                tally.dead_letters_not_transient += 1
                causes = sorted({type(f).__name__ for f in failures if not transient_failure(f)})
                tally.problems.append(
                    f"run {run_id} in the DLQ: {run.status.value if run else '?'}, "
                    f"{[d.code for d in run.diagnoses] if run else []}, {causes}"
                )
        tally.dead_letters_not_transient += len(outcome["poison"])
        return tally


def run_matrix(
    *,
    behaviours: Sequence[Behaviour] | None = None,
    kinds: Sequence[FaultKind] = FAULT_KINDS,
    points: Sequence[str] = MATRIX_POINTS,
    aws_nights: Sequence[AwsNight] = AWS_NIGHTS,
    reminders: bool = True,
    replaces: bool = True,
) -> MatrixReport:
    """The matrix on a local stack of its own (a moto server, both fakes), started and stopped
    here; the environment is restored after."""
    import pytest

    from paysync.observability import logger
    from tests.harness import local_env

    level = logger.log_level
    logger.setLevel("ERROR")  # thousands of runs: their logs would cost more than their work
    executor_log = logging.getLogger("local.executor")  # a warning per failed delivery
    executor_level = executor_log.level
    executor_log.setLevel(logging.ERROR)
    try:
        with pytest.MonkeyPatch.context() as monkeypatch:
            # Never real AWS (``make bench`` runs this outside the tests' conftest).
            for key, value in SAFE_AWS_ENV.items():
                monkeypatch.setenv(key, value)
            for key in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
                monkeypatch.delenv(key, raising=False)
            with local_env(monkeypatch, **MATRIX_ENV) as env:
                env.myunisoft.rate_limit = MATRIX_FAKE_RATE_LIMIT
                reminders_env = env.resources.function_environment("KeyExpiryRemindersFunction")
                for key, value in reminders_env.items():
                    if not key.startswith(("SILAE_", "MYUNISOFT_")):
                        monkeypatch.setenv(key, value)
                reset_library_caches()
                planned = PlannedCrashes()
                matrix = FaultMatrix(
                    NightStack(env, MATRIX_FIRMS),
                    CrashPoints(planned).install(monkeypatch, ledger_wiped=True),
                    planned,
                    behaviours=behaviours,
                    kinds=kinds,
                    points=points,
                    aws_nights=aws_nights,
                    reminders=reminders,
                    replaces=replaces,
                )
                return matrix.run()
    finally:
        logger.setLevel(level)
        executor_log.setLevel(executor_level)
