"""Benchmark 3: cold import of each handler module against ``import boto3`` alone.

Measured the way Lambda imports a handler: a fresh interpreter without site-packages (``-S``)
whose path is the function's folder, the layer (``layers/paysync`` with the packages of its
``requirements.txt``, installed once into ``.venv/lambda-site``) and boto3 (which the Lambda
runtime provides), with Lambda's environment variables (so Powertools sees a Lambda and enables
its tracer) and the function's own from template.yaml (a handler checks them at import). Each run
times the ``import`` statement itself, after a first untimed run that compiles the bytecode; runs
of every module are interleaved and the median is kept.

Handlers are found by globbing ``functions/*/app.py``. A handler builds what only an invocation
needs (boto3 clients, the X-Ray tracer, HTTP clients) at its first call, not at import: the
``first call`` line reports, for information, the import plus what the worker's first invocation
loads (the tracer, the services and their clients).
"""

from __future__ import annotations

import hashlib
import statistics
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

from benchmarks.common import REPO, Result, say, verdict

SITE = REPO / ".venv" / "lambda-site"
LAYER = REPO / "layers" / "paysync"
GOAL = 1.3

_TIMER = """
import sys, time
sys.path[:0] = {path!r}
started = time.perf_counter()
{statement}
print(time.perf_counter() - started)
"""

FIRST_CALL = (
    "import app; "
    "from paysync.observability import tracer; tracer.tracer; "
    "import paysync.usecases.services, paysync.usecases.sync_dossier, "
    "aws_lambda_powertools.utilities.batch, boto3"
)


def lambda_site() -> Path:
    """The layer's requirements plus boto3, installed once (again when requirements.txt changes)."""
    requirements = (LAYER / "requirements.txt").read_text(encoding="utf-8")
    stamp = SITE / ".requirements-sha256"
    digest = hashlib.sha256(requirements.encode()).hexdigest()
    if stamp.exists() and stamp.read_text(encoding="utf-8") == digest:
        return SITE
    say(f"  installing the layer's requirements and boto3 into {SITE.relative_to(REPO)}")
    answer = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--quiet",
            "--upgrade",
            "--target",
            str(SITE),
            "-r",
            str(LAYER / "requirements.txt"),
            "boto3",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    if answer.returncode != 0:
        raise RuntimeError(f"pip could not install the layer's requirements: {answer.stderr[-2000:]}")
    stamp.write_text(digest, encoding="utf-8")
    return SITE


def _template_environment(folder: Path) -> dict[str, str]:
    """The variables template.yaml sets on the function in ``folder``, resources named by their
    logical ids (an import touches no AWS resource)."""
    from local.cfn import load_template, parameter_values
    from local.provision import DISTRIBUTION_TYPE, LocalResource, LocalResources, distribution_stand_in

    template = load_template(REPO / "template.yaml")
    declared: dict[str, Any] = template["Resources"]
    (function,) = [
        logical_id
        for logical_id, spec in declared.items()
        if spec["Type"] == "AWS::Serverless::Function"
        and spec["Properties"]["CodeUri"].rstrip("/") == f"functions/{folder.name}"
    ]
    symbolic = {
        logical_id: distribution_stand_in(logical_id, "bench")
        if spec["Type"] == DISTRIBUTION_TYPE
        else LocalResource(logical_id, spec["Type"], name=logical_id, ref=logical_id)
        for logical_id, spec in declared.items()
    }
    resources = LocalResources(
        template=template,
        parameters=parameter_values(template),
        pseudo_parameters={
            "AWS::Region": "eu-west-3",
            "AWS::AccountId": "123456789012",
            "AWS::Partition": "aws",
        },
        resources=symbolic,
        endpoint_url=None,
        region="eu-west-3",
    )
    return resources.function_environment(function)


def _environment(function: str, folder: Path) -> dict[str, str]:
    return {
        **_template_environment(folder),
        "PATH": "/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "AWS_REGION": "eu-west-3",
        "AWS_DEFAULT_REGION": "eu-west-3",
        "AWS_EXECUTION_ENV": "AWS_Lambda_python3.11",
        "AWS_LAMBDA_FUNCTION_NAME": f"paysync-{function}",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512",
        "LAMBDA_TASK_ROOT": str(folder),
        "POWERTOOLS_SERVICE_NAME": "paysync",
        "POWERTOOLS_METRICS_NAMESPACE": "Paysync",
        "POWERTOOLS_LOG_LEVEL": "INFO",
        "LOG_LEVEL": "INFO",
    }


def _run(statement: str, folder: Path, site: Path, *flags: str) -> subprocess.CompletedProcess[str]:
    code = _TIMER.format(path=[str(folder), str(LAYER), str(site)], statement=statement)
    return subprocess.run(
        [sys.executable, "-S", *flags, "-c", code],
        env=_environment(folder.name, folder),
        cwd=folder,
        capture_output=True,
        text=True,
        check=False,
    )


def _time(statement: str, folder: Path, site: Path) -> float:
    answer = _run(statement, folder, site)
    if answer.returncode != 0:
        raise RuntimeError(answer.stderr.strip().splitlines()[-1] if answer.stderr.strip() else "failed")
    return float(answer.stdout.strip().splitlines()[-1])


def heaviest(folder: Path, site: Path, count: int = 8) -> list[str]:
    """The modules with the largest cumulative import time (``-X importtime``), for a diagnosis."""
    answer = _run("import app", folder, site, "-X", "importtime")
    rows: list[tuple[int, str]] = []
    for line in answer.stderr.splitlines():
        parts = line.removeprefix("import time:").split("|")
        if len(parts) == 3 and parts[1].strip().isdigit():
            rows.append((int(parts[1]), parts[2].strip()))
    return [f"{name} {micro / 1000:.0f} ms" for micro, name in sorted(rows, reverse=True)[1 : count + 1]]


def handlers() -> list[Path]:
    return sorted(p.parent for p in (REPO / "functions").glob("*/app.py"))


def run_imports(repetitions: int = 7, *, lambda_like: bool = True) -> list[Result]:
    """``lambda_like=False`` (the smoke test) uses this virtualenv's packages: no install, and
    figures that mean nothing (development packages make some imports heavier)."""
    site = lambda_site() if lambda_like else Path(sysconfig.get_paths()["purelib"])
    folders = handlers()
    targets: dict[str, tuple[str, Path]] = {"boto3": ("import boto3", folders[0])}
    for folder in folders:
        targets[folder.name] = ("import app", folder)
    targets["first call"] = (FIRST_CALL, REPO / "functions" / "sync_worker")
    samples: dict[str, list[float]] = {name: [] for name in targets}
    errors: dict[str, str] = {}
    for round_number in range(repetitions + 1):  # round 0 compiles the bytecode: not kept
        for name, (statement, folder) in targets.items():
            if name in errors:
                continue
            try:
                seconds = _time(statement, folder, site)
            except RuntimeError as error:
                errors[name] = str(error)
                continue
            if round_number:
                samples[name].append(seconds)
    baseline = statistics.median(samples["boto3"])
    results = [
        Result(
            name="3. import boto3 (baseline)",
            value=round(baseline * 1000, 1),
            unit="ms",
            goal="-",
            compared_with="-",
            bound=None,
            verdict="info",
            details={"samples_ms": [round(s * 1000, 1) for s in samples["boto3"]]},
        )
    ]
    for name in [f.name for f in folders] + ["first call"]:
        if name in errors:
            results.append(
                Result(
                    name=f"3. cold import {name} / boto3",
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
        median = statistics.median(samples[name])
        ratio = median / baseline
        info = name == "first call"
        details = {
            "median_ms": round(median * 1000, 1),
            "samples_ms": [round(s * 1000, 1) for s in samples[name]],
            "repetitions": repetitions,
            "site": "layer requirements + boto3" if lambda_like else "development virtualenv",
        }
        if not info and ratio > GOAL:
            details["heaviest_imports"] = heaviest(REPO / "functions" / name, site)
        results.append(
            Result(
                name="3. sync_worker import + first call's libraries / boto3"
                if info
                else f"3. cold import {name} / boto3",
                value=round(ratio, 3),
                unit="ratio",
                goal="-" if info else f"<= {GOAL}",
                compared_with="import boto3, ms",
                bound=round(baseline * 1000, 1),
                verdict="info" if info else verdict(ratio <= GOAL),
                details=details,
            )
        )
    return results
