"""Benchmark 3: each function's cold start, honestly: its import plus everything its first
invocation loads, against ``import boto3`` in the same run.

(Over 400 lines: the child's script, the local stack it calls and the report share one set of
conventions, the events, environments and paths of a Lambda-like start; apart, each would restate
them.)

Measured the way Lambda starts a function: a fresh interpreter without site-packages (``-S``) whose
path is the function's folder, the layer (``layers/paysync`` with the packages of its
``requirements.txt``, installed once into ``.venv/lambda-site``, boto3 included as the runtime
provides it, and the certificate authorities' directory that ``make build`` adds), with Lambda's
environment variables (so Powertools sees a Lambda and traces) and the function's own from template.yaml, pointed at a local stack running in this process (moto server,
both fakes, the demo world, an API credential for the sample events).

Each child imports ``app`` and invokes its handler twice with the function's sample event from
``events/`` (the worker's names a run queued for it; the second invocation an equivalent one). What
the first invocation loads (boto3 clients and their service models, the tracer, HTTP clients and
their CA bundle, modules imported lazily, pydantic schemas) is its time minus the second's: both
do the same calls, so the calls cancel out. The cold start is the import plus that difference.
A second call that does less than the first (a night already planned, reminders already sent)
only makes the figure larger: it errs on the safe side.

Beside the functions, two floors, handlers of a few lines that read one DynamoDB item, measured the
same way: with boto3's table resource (why paysync does not use boto3 in its functions: that alone
is 1.8 x ``import boto3`` on this machine), and with ``paysync.aws``, the least any paysync
function does. Both are reported, not held to a goal.

And the worker as a plain ``sam build`` deploys it, reported beside them: ``sam build`` leaves the
bytecode out and Lambda's ``/opt`` is read-only, so such a container compiles every module it
imports at each cold start. The worker runs from copies of the layer, its packages and the functions
without ``__pycache__``, under ``-B`` (nothing written); ``make build`` ships the bytecode.

Times are the child's CPU time (``time.process_time``): starting a function is CPU work, and on a
shared machine the wall clock measures the neighbours as much as the function.

Each function's figure is the median of paired ratios: in every round, each function (and each floor)
is started right after an ``import boto3`` child, and divided by it. The shared machine's speed
drifts by half within seconds (``import boto3`` read 196 to 327 ms within one run): a ratio of two
children started a second apart cancels the drift that a ratio of medians taken over the whole run
keeps. One untimed round first compiles the bytecode. For each function the top five packages by import
time (``-X importtime``, each module's own time summed per package) say where the time goes.
"""

from __future__ import annotations

import functools
import hashlib
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from itertools import count
from pathlib import Path
from typing import Any, NamedTuple

from benchmarks.common import REPO, Result, say, verdict

SITE = REPO / ".venv" / "lambda-site"
LAYER = REPO / "layers" / "paysync"
EVENTS = REPO / "events"
GOAL = 1.5
IMPORTTIME_RUNS = 3  # -X importtime times the wall clock: the median of a few runs
TRACE_ID = "Root=1-6740b7a0-0123456789abcdef01234567;Parent=0123456789abcdef;Sampled=1"

# The child: everything before ``started`` is what a Lambda runtime has loaded before the handler.
_CHILD = """
import json, sys, time
sys.path[:0] = {path!r}
events = json.loads(open({events!r}, encoding="utf-8").read())

class Context:
    function_name = {function!r}
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:eu-west-3:123456789012:function:" + {function!r}
    memory_limit_in_mb = 512
    aws_request_id = "c0ffee00-0000-4000-8000-000000000000"
    log_group_name = "/aws/lambda/" + {function!r}
    log_stream_name = "2026/11/21/[$LATEST]0123456789abcdef"
    def get_remaining_time_in_millis(self):
        return 30000

sys.stderr.write("-- started --\\n")
sys.stderr.flush()
started = time.process_time()
{statement}
imported = time.process_time()
timings = [imported - started]
for event in events:
    try:
        app.handler(event, Context())
    except Exception as error:  # the authorizer denies with an exception: still a whole call
        if type(error).__name__ != "UnauthorizedError" and str(error) != "Unauthorized":
            raise
    timings.append(time.process_time() - sum(timings) - started)
print(json.dumps(timings))
"""


# What every function does at the least: read one item, with boto3's table resource, then with
# paysync's own client (reported, not goals).
_FLOORS = {
    "boto3": """
import os

import boto3


def handler(event, context):
    table = boto3.resource("dynamodb").Table(os.environ["CONFIG_TABLE"])
    table.get_item(Key={"pk": "FIRM#cabinet-dupont"}, ConsistentRead=True)
""",
    "paysync.aws": """
import os

from paysync.aws.services import dynamodb


def handler(event, context):
    table = dynamodb().Table(os.environ["CONFIG_TABLE"])
    table.get_item(Key={"pk": "FIRM#cabinet-dupont"}, ConsistentRead=True)
""",
}


def _write_floors(workdir: Path) -> dict[str, Path]:
    floors = {}
    for name, app in _FLOORS.items():
        floors[name] = workdir / f"floor-{name}"
        floors[name].mkdir()
        (floors[name] / "app.py").write_text(app, encoding="utf-8")
    return floors


# What Lambda's Python runtime provides beside a function's code, at the versions the tests ran:
# boto3, for the baseline and the boto3 floor (the layer does not ship it).
RUNTIME_PACKAGES = ("boto3", "botocore", "s3transfer", "jmespath", "python-dateutil", "six", "urllib3")


def _runtime_pins() -> list[str]:
    lock = (REPO / "requirements" / "dev.lock").read_text(encoding="utf-8")
    pins = dict(re.findall(r"^([a-z0-9_.-]+)==([^\s;\\]+)", lock, re.MULTILINE))
    return [f"{name}=={pins[name]}" for name in RUNTIME_PACKAGES]


def lambda_site() -> Path:
    """The layer's requirements, and the runtime's boto3, installed once (again when they change)."""
    requirements = (LAYER / "requirements.txt").read_text(encoding="utf-8")
    runtime = _runtime_pins()
    stamp = SITE / ".requirements-sha256"
    digest = hashlib.sha256("\n".join([requirements, *runtime]).encode()).hexdigest()
    if stamp.exists() and stamp.read_text(encoding="utf-8") == digest:
        _authorities(SITE)
        return SITE
    say(f"  installing the layer's requirements and the runtime's boto3 into {SITE.relative_to(REPO)}")
    shutil.rmtree(SITE, ignore_errors=True)  # exactly the requirements: nothing a former lock left
    pip = [sys.executable, "-m", "pip", "install", "--quiet", "--upgrade", "--target", str(SITE)]
    for arguments in (["-r", str(LAYER / "requirements.txt")], ["--no-deps", *runtime]):
        answer = subprocess.run([*pip, *arguments], capture_output=True, text=True, check=False)
        if answer.returncode != 0:
            raise RuntimeError(f"pip could not install the Lambda-like site: {answer.stderr[-2000:]}")
    _authorities(SITE)
    stamp.write_text(digest, encoding="utf-8")
    return SITE


def _authorities(site: Path) -> None:
    """The CA directory the layer's build writes beside certifi (``make build``; ``paysync.tls``)."""
    from paysync.ca_directory import build
    from paysync.tls import authorities_directory

    if authorities_directory(site / "certifi" / "cacert.pem") is None:
        build(site)


def handlers() -> list[Path]:
    return sorted(p.parent for p in (REPO / "functions").glob("*/app.py"))


def logical_id(template: dict[str, Any], folder: Path) -> str:
    (function,) = [
        name
        for name, spec in template["Resources"].items()
        if spec["Type"] == "AWS::Serverless::Function"
        and spec["Properties"]["CodeUri"].rstrip("/") == f"functions/{folder.name}"
    ]
    return str(function)


@dataclass
class Stage:
    """The local stack the children call, and how to give each one its events and environment."""

    resources: Any
    base_env: dict[str, str]
    services: Any
    workdir: Path
    run_ids: Iterator[str]
    periods: Iterator[str] = field(
        default_factory=lambda: (f"{2016 + n // 12}-{n % 12 + 1:02d}" for n in count())
    )

    def environment(self, folder: Path) -> dict[str, str]:
        function = logical_id(self.resources.template, folder)
        return {
            **self.resources.function_environment(function),
            **self.base_env,
            "AWS_LAMBDA_FUNCTION_NAME": f"paysync-{folder.name}",
            "LAMBDA_TASK_ROOT": str(folder),
        }

    def events(self, folder: Path) -> Path:
        """Two events for ``folder``'s function: its sample event twice (the worker: two queued runs)."""
        sample = json.loads((EVENTS / f"{folder.name}.json").read_text(encoding="utf-8"))
        pair = [sample, sample]
        if folder.name == "sync_worker":
            pair = [_sqs_event(sample, next(self.run_ids)) for _ in range(2)]
        path = self.workdir / f"{folder.name}.json"
        path.write_text(json.dumps(pair), encoding="utf-8")
        return path

    def queueing_events(self, folder: Path) -> Path:
        """The sample event without its dry run, for a period no child has asked yet: the first call
        queues a run, the second finds it queued (on_demand_sync's common request)."""
        sample = json.loads((EVENTS / f"{folder.name}.json").read_text(encoding="utf-8"))
        sample["body"] = json.dumps({"period": next(self.periods)})
        path = self.workdir / f"{folder.name}-queueing.json"
        path.write_text(json.dumps([sample, sample]), encoding="utf-8")
        return path


def _sqs_event(sample: dict[str, Any], run_id: str) -> dict[str, Any]:
    event: dict[str, Any] = json.loads(json.dumps(sample))
    (record,) = event["Records"]
    record["body"] = json.dumps({"run_id": run_id})
    record["attributes"]["MessageDeduplicationId"] = run_id
    return event


@contextmanager
def stage(rounds: int) -> Iterator[Stage]:
    """moto server + fakes + the demo world (the sample events' firm and dossiers), an API
    credential for the authorizer's event, and one société dossier per worker invocation, its run
    queued: each worker invocation syncs a whole period (Silae, MyUnisoft, files) on its own token."""
    from benchmarks.world import FirmSpec, seed_night
    from local.demo_data import seed
    from local.fakes.myunisoft import FakeMyUnisoft
    from local.fakes.silae import FakeSilae
    from local.stack import LocalStack
    from paysync.domain.access import ApiKeyRecord, key_digest
    from paysync.domain.models import Run
    from paysync.entrypoints import reset_container_state, services
    from paysync.storage.apikeys import ApiKeyRepository

    saved = dict(os.environ)
    local, silae, myunisoft = LocalStack(name_prefix="paysync-coldstart"), FakeSilae(), FakeMyUnisoft()
    with local as resources, silae, myunisoft:
        fakes = {
            "SILAE_AUTH_URL": silae.auth_url,
            "SILAE_API_URL": silae.api_url,
            "MYUNISOFT_API_URL": myunisoft.api_url,
        }
        os.environ.update({**resources.function_environment("SyncWorkerFunction"), **fakes})
        reset_container_state()
        try:
            svc = services()
            today = datetime.now(UTC).date()
            seed(silae, myunisoft, svc.config, svc.secrets, today)
            authorizer = json.loads((EVENTS / "authorizer.json").read_text(encoding="utf-8"))
            plaintext = authorizer["authorizationToken"].split()[-1]
            ApiKeyRepository(svc.settings.config_table).create(
                ApiKeyRecord(
                    key_id=plaintext.split("_")[1],
                    key_hash=key_digest(plaintext),
                    scope="firm",
                    firm_id="cabinet-dupont",
                    label="cold start benchmark",
                    created_at=datetime.now(UTC),
                )
            )
            world = seed_night(
                silae,
                myunisoft,
                svc.config,
                svc.secrets,
                today,
                firms=[FirmSpec(2 * (rounds + 2), cabinet=False)],  # and the -X importtime pass,
                own_silae_every=0,
            )
            run_ids = []
            for item in world.dossiers:
                dossier = item.dossier
                run = Run(
                    run_id=f"coldstart-{dossier.dossier_id}",
                    dossier_id=dossier.dossier_id,
                    firm_id=dossier.firm_id,
                    period=str(world.period),
                    trigger="on_demand",
                    message_group=dossier.message_group,
                )
                svc.runs.create(run)
                run_ids.append(run.run_id)
            base_env = {
                **fakes,
                "AWS_ENDPOINT_URL": os.environ["AWS_ENDPOINT_URL"],
                "PATH": "/usr/bin:/bin",
                "LANG": "C.UTF-8",
                "AWS_REGION": "eu-west-3",
                "AWS_DEFAULT_REGION": "eu-west-3",
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
                "_X_AMZN_TRACE_ID": TRACE_ID,
                "POWERTOOLS_SERVICE_NAME": "paysync",
                "POWERTOOLS_METRICS_NAMESPACE": "Paysync",
                "POWERTOOLS_LOG_LEVEL": "ERROR",
                "LOG_LEVEL": "ERROR",
            }
            with tempfile.TemporaryDirectory() as tmp:
                yield Stage(resources, base_env, svc, Path(tmp), iter(run_ids))
        finally:
            reset_container_state()
            os.environ.clear()
            os.environ.update(saved)


def _child(
    statement: str,
    folder: Path,
    site: Path,
    env: dict[str, str],
    events: Path,
    *flags: str,
    layer: Path = LAYER,
) -> subprocess.CompletedProcess[str]:
    code = _CHILD.format(
        path=[str(folder), str(layer), str(site)],
        events=str(events),
        function=env.get("AWS_LAMBDA_FUNCTION_NAME", "paysync"),
        statement=statement,
    )
    return subprocess.run(
        [sys.executable, "-S", *flags, "-c", code],
        env=env,
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _timings(answer: subprocess.CompletedProcess[str]) -> list[float]:
    if answer.returncode != 0:
        lines = answer.stderr.strip().splitlines()
        raise RuntimeError(lines[-1] if lines else f"exit {answer.returncode}")
    timings: list[float] = json.loads(answer.stdout.strip().splitlines()[-1])
    return timings


def heaviest(importtimes: list[str], count: int = 5) -> list[str]:
    """The packages whose modules took longest to import, from ``-X importtime`` runs: each module's
    own time (without its children) summed per package, ``paysync`` per subpackage, the median of
    the runs. A library shows as itself, not inside whichever module happens to import it first
    (pydantic inside ``paysync.config``, botocore inside the X-Ray patch)."""
    runs: list[dict[str, int]] = []
    for importtime in importtimes:
        totals: dict[str, int] = {}
        # what the child imported before the timed part (json, its own) is not the function's
        for line in importtime.partition("-- started --")[2].splitlines():
            parts = line.removeprefix("import time:").split("|")
            if len(parts) != 3 or not parts[0].strip().isdigit():
                continue
            dotted = parts[2].strip().split(".")
            package = ".".join(dotted[:2]) if dotted[0] == "paysync" else dotted[0]
            totals[package] = totals.get(package, 0) + int(parts[0])
        runs.append(totals)
    packages = {package for totals in runs for package in totals}
    median = {package: statistics.median(totals.get(package, 0) for totals in runs) for package in packages}
    ranked = sorted(median.items(), key=lambda item: item[1], reverse=True)[:count]
    return [f"{package} {micro / 1000:.0f} ms" for package, micro in ranked]


WITHOUT_BYTECODE = "sync_worker, without bytecode (a plain sam build)"
# on_demand_sync's goal is held on its sample event, a dry run (its heaviest request); beside it,
# the request firm tools and the console send most: queueing a run.
QUEUEING = "on_demand_sync, queueing a run (its common request)"


def _without_bytecode(workdir: Path, site: Path) -> Path:
    """The layer, its site and the functions copied without ``__pycache__``: what ``sam build``
    alone deploys (``make build`` adds the bytecode)."""
    bare = workdir / "without-bytecode"
    skip = shutil.ignore_patterns("__pycache__", "*.pyc")
    shutil.copytree(site, bare / "site", ignore=skip)
    shutil.copytree(LAYER, bare / "layer", ignore=skip)
    shutil.copytree(REPO / "functions", bare / "functions", ignore=skip)
    return bare


def run_coldstart(rounds: int = 5, *, lambda_like: bool = True) -> list[Result]:
    """``lambda_like=False`` (the smoke test) uses this virtualenv's packages: no install, no
    untimed first round, and figures that mean nothing (development packages weigh more)."""
    site = lambda_site() if lambda_like else Path(sysconfig.get_paths()["purelib"])
    folders = handlers()
    cold: dict[str, list[float]] = {"boto3": []}
    paired: dict[str, list[float]] = {}  # each start over the ``import boto3`` just before it
    parts: dict[str, list[tuple[float, float, float]]] = {}
    errors: dict[str, str] = {}
    top: dict[str, list[str]] = {}
    with stage(2 * rounds + IMPORTTIME_RUNS + 1) as local:  # the worker runs twice a round
        baseline_env = local.environment(folders[0])
        baseline_events = local.workdir / "none.json"
        baseline_events.write_text("[]", encoding="utf-8")
        floors = _write_floors(local.workdir)
        floor_events = local.workdir / "floor.json"
        floor_events.write_text("[{}, {}]", encoding="utf-8")
        # the floors, then the functions: (name, folder, environment, what gives a child its events)
        starts: list[tuple[str, Path, dict[str, str], Callable[[], Path]]] = [
            (f"floor {floor_name}", floor, baseline_env, lambda: floor_events)
            for floor_name, floor in floors.items()
        ]
        starts += [
            (folder.name, folder, local.environment(folder), functools.partial(local.events, folder))
            for folder in folders
        ]
        on_demand = REPO / "functions" / "on_demand_sync"
        if on_demand in folders:
            queueing = functools.partial(local.queueing_events, on_demand)
            starts.append((QUEUEING, on_demand, local.environment(on_demand), queueing))
        # where each start finds its code: the layer and site, as built, unless it is the worker
        # as a plain `sam build` ships it (copies without bytecode, none written: Lambda's /opt)
        code: dict[str, tuple[Path, Path, tuple[str, ...]]] = {name: (LAYER, site, ()) for name, *_ in starts}
        if lambda_like:
            bare = _without_bytecode(local.workdir, site)
            worker = REPO / "functions" / "sync_worker"
            starts.append(
                (
                    WITHOUT_BYTECODE,
                    bare / "functions" / "sync_worker",
                    local.environment(worker),
                    functools.partial(local.events, worker),
                )
            )
            code[WITHOUT_BYTECODE] = (bare / "layer", bare / "site", ("-B",))
        # round 0 compiles the bytecode: not kept
        for round_number in range(0 if lambda_like else 1, rounds + 1):
            for name, folder, env, events in starts:
                if name in errors:
                    continue
                baseline_now = _timings(
                    _child("import boto3", folders[0], site, baseline_env, baseline_events)
                )[0]
                layer, where, flags = code[name]
                try:
                    imported, first, second = _timings(
                        _child("import app", folder, where, env, events(), *flags, layer=layer)
                    )
                except (RuntimeError, ValueError) as error:
                    errors[name] = str(error)
                    continue
                if round_number:
                    seconds = imported + max(0.0, first - second)
                    cold["boto3"].append(baseline_now)
                    cold.setdefault(name, []).append(seconds)
                    paired.setdefault(name, []).append(seconds / baseline_now)
                    parts.setdefault(name, []).append((imported, first, second))
        for folder in folders:
            if folder.name not in errors:
                env = local.environment(folder)
                answers = [
                    _child("import app", folder, site, env, local.events(folder), "-X", "importtime")
                    for _ in range(IMPORTTIME_RUNS)
                ]
                top[folder.name] = heaviest([answer.stderr for answer in answers])
    return _report(
        Samples(cold, paired, parts, errors, top), [folder.name for folder in folders], rounds, lambda_like
    )


class Samples(NamedTuple):
    """What the rounds measured, by start name (``boto3`` for the baseline in ``cold``)."""

    cold: dict[str, list[float]]
    paired: dict[str, list[float]]
    parts: dict[str, list[tuple[float, float, float]]]
    errors: dict[str, str]
    top: dict[str, list[str]]


def _report(measured: Samples, names: list[str], rounds: int, lambda_like: bool) -> list[Result]:
    cold, paired, parts, errors, top = measured
    baseline = statistics.median(cold["boto3"])

    def info(name: str, start: str, details: dict[str, Any]) -> Result:
        """A start reported beside the goals, not held to one."""
        return Result(
            name=name,
            value=round(statistics.median(paired[start]), 3) if start in paired else None,
            unit="ratio",
            goal="-",
            compared_with="import boto3, ms",
            bound=round(baseline * 1000, 1),
            verdict="info",
            details={**details, **({"error": errors[start]} if start in errors else {})},
        )

    results = [
        Result(
            name="3. import boto3 (baseline)",
            value=round(baseline * 1000, 1),
            unit="ms",
            goal="-",
            compared_with="-",
            bound=None,
            verdict="info",
            details={"samples_ms": [round(s * 1000, 1) for s in cold["boto3"]]},
        ),
        *(
            info(
                f"3. floor: {floor_name} + one DynamoDB read / boto3",
                f"floor {floor_name}",
                {
                    "what": f"{floor_name}, one GetItem of a table: the least a function does, that way",
                    "samples_ms": [round(s * 1000, 1) for s in cold.get(f"floor {floor_name}", [])],
                },
            )
            for floor_name in _FLOORS
        ),
    ]
    for name in names:
        result_name = f"3. cold start {name} / boto3"
        if name in errors:
            results.append(
                Result(
                    name=result_name,
                    value=None,
                    unit="ratio",
                    goal=f"<= {GOAL}",
                    compared_with="import boto3, ms",
                    bound=round(baseline * 1000, 1),
                    verdict="fail",
                    details={"error": errors[name]},
                )
            )
            continue
        median = statistics.median(cold[name])
        ratio = statistics.median(paired[name])
        samples = parts[name]
        results.append(
            Result(
                name=result_name,
                value=round(ratio, 3),
                unit="ratio",
                goal=f"<= {GOAL}",
                compared_with="import boto3, ms",
                bound=round(baseline * 1000, 1),
                verdict=verdict(ratio <= GOAL),
                details={
                    "cold_start_ms": round(median * 1000, 1),
                    "import_ms": round(statistics.median(s[0] for s in samples) * 1000, 1),
                    "first_call_ms": round(statistics.median(s[1] for s in samples) * 1000, 1),
                    "second_call_ms": round(statistics.median(s[2] for s in samples) * 1000, 1),
                    "samples_ms": [round(s * 1000, 1) for s in cold[name]],
                    "paired_ratios": [round(r, 3) for r in paired[name]],
                    "top_imports": top.get(name, []),
                    "rounds": rounds,
                    "site": "layer requirements" if lambda_like else "development virtualenv",
                },
            )
        )
    if QUEUEING in paired or QUEUEING in errors:
        results.append(
            info(
                f"3. cold start {QUEUEING} / boto3",
                QUEUEING,
                {
                    "what": "POST /dossiers/{id}/sync without dry_run: the run queued (DynamoDB, SQS), "
                    "no vendor called; the goal row above is the dry run",
                    "cold_start_ms": round(statistics.median(cold.get(QUEUEING, [0.0])) * 1000, 1),
                },
            )
        )
    if WITHOUT_BYTECODE in paired or WITHOUT_BYTECODE in errors:
        results.append(
            info(
                f"3. cold start {WITHOUT_BYTECODE} / boto3",
                WITHOUT_BYTECODE,
                {
                    "why": "sam build leaves the bytecode out and Lambda cannot write it to /opt: each cold "
                    "start compiles every module it imports; make build compiles the layer and the functions",
                    "cold_start_ms": round(statistics.median(cold.get(WITHOUT_BYTECODE, [0.0])) * 1000, 1),
                },
            )
        )
    return results
