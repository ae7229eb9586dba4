"""Benchmark 5: the memory a worker needs for one dossier whose files total 20 MB, and 100 MB to
show that it grows linearly with the files (peak per MB of files no worse at 100 MB than at 20).

The fakes run in this process and the worker in a child process, so that the child's figures are
the worker's alone: in the child, in-process moto (a handful of small items) and one invocation of
``functions/sync_worker/app.handler`` through ``local.executor.drain``. Reported: the peak of
Python allocations during the invocation (``tracemalloc``) and the growth of the child's resident
set during it (sampled from ``/proc/self/statm``; ``ru_maxrss`` elsewhere), against the files' size.

Both sides seed the same generated world (``benchmarks.world.seed_night`` is deterministic): this
process the fakes only, the child DynamoDB and Secrets Manager only.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from benchmarks.common import REPO, Result, verdict
from benchmarks.stack import TimeScale, scaled_stack
from benchmarks.world import FirmSpec, seed_night

MB = 1024 * 1024
NIGHT_ISO = "2026-11-21"
# Copies of the files a worker may hold at once. Silae sends them as base64 inside JSON (the body,
# its decoded text and the parsed strings: 3 x 1.33), MyUnisoft takes them as base64 again.
COPIES = 5


class Ignore:
    """Stands for the half of the world the other process seeds: every call does nothing."""

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


def _seed(
    silae: Any, myunisoft: Any, config: Any, secrets: Any, *, total: int, files: int, entries: int
) -> Any:
    from datetime import date

    return seed_night(
        silae,
        myunisoft,
        config,
        secrets,
        date.fromisoformat(NIGHT_ISO),
        firms=[FirmSpec(1, True)],
        own_silae_every=0,
        file_bytes=total,
        files=files,
        entries=lambda _index: entries,
    )


def measure(total_bytes: int, files: int, entries: int) -> dict[str, Any]:
    """One worker invocation (in a child process) syncing a dossier whose files total ``total_bytes``."""
    with scaled_stack(TimeScale(1), latency=False) as stack:
        world = _seed(
            stack.silae, stack.myunisoft, Ignore(), Ignore(), total=total_bytes, files=files, entries=entries
        )
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "layers" / "paysync")])}
        answer = subprocess.run(
            [sys.executable, "-m", "benchmarks.memory", str(total_bytes), str(files), str(entries)],
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        lines = [line for line in answer.stdout.splitlines() if line.startswith('{"memory"')]
        if answer.returncode != 0 or not lines:
            raise RuntimeError(f"memory child failed ({answer.returncode}): {answer.stderr[-2000:]}")
        measured: dict[str, Any] = json.loads(lines[-1])["memory"]
        society = world.dossiers[0].dossier.society_id
        posted = stack.myunisoft.entries(society)
    files_bytes = world.dossiers[0].files_bytes
    attached = sum(len(a["content"]) for e in posted for a in e["attachments"])
    return {
        **measured,
        "files_bytes": files_bytes,
        "files": files,
        "entries": entries,
        "entries_in_myunisoft": len(posted),
        "attached_bytes_in_myunisoft": attached,
        "synced": measured["run_status"] == "succeeded"
        and len(posted) == entries
        and attached == entries * files_bytes,
    }


def run_memory(
    sizes: tuple[int, ...] = (20 * MB, 100 * MB), files: int = 4, entries: int = 2
) -> list[Result]:
    """The first size is held to ``COPIES`` x the files; each larger one to growing linearly."""
    runs = [measure(size, files, entries) for size in sizes]
    results: list[Result] = []
    for run in runs:
        peak, files_bytes = run["traced_peak_bytes"], run["files_bytes"]
        results.append(
            Result(
                name=f"5. worker peak memory (tracemalloc), {files_bytes / MB:.0f} MB of files",
                value=round(peak / MB, 1),
                unit="MB",
                goal=f"<= {COPIES} x the files",
                compared_with="files' size, MB",
                bound=round(files_bytes / MB, 1),
                verdict=verdict(run["synced"] and peak <= COPIES * files_bytes),
                details={**run, "peak_per_file_byte": round(peak / files_bytes, 3)},
            )
        )
    base = runs[0]
    base_ratio = base["traced_peak_bytes"] / base["files_bytes"]
    for run in runs[1:]:
        growth = (run["traced_peak_bytes"] / run["files_bytes"]) / base_ratio
        results.append(
            Result(
                name=f"5. peak per MB of files, {run['files_bytes'] / MB:.0f} MB / {base['files_bytes'] / MB:.0f} MB",
                value=round(growth, 3),
                unit="ratio",
                goal="<= 1.1 (linear)",
                compared_with=f"peak per MB at {base['files_bytes'] / MB:.0f} MB",
                bound=round(base_ratio, 3),
                verdict=verdict(growth <= 1.1),
                details={
                    "peaks_mb": [round(r["traced_peak_bytes"] / MB, 1) for r in runs],
                    "files_mb": [round(r["files_bytes"] / MB, 1) for r in runs],
                },
            )
        )
    for run in runs:
        results.append(
            Result(
                name=f"5. worker resident set growth (peak), {run['files_bytes'] / MB:.0f} MB of files",
                value=round(run["rss_growth_bytes"] / MB, 1),
                unit="MB",
                goal="-",
                compared_with="worker MemorySize, MB",
                bound=run.get("memory_size_mb") or 512,
                verdict="info",
                details={
                    "rss_before_bytes": run["rss_before_bytes"],
                    "rss_peak_bytes": run["rss_peak_bytes"],
                },
            )
        )
    return results


class RssSampler:
    """The resident set's peak while it runs, sampled every few milliseconds (Linux), else the
    process's lifetime peak (``ru_maxrss``)."""

    def __init__(self) -> None:
        import threading

        self.peak = self.before = self.rss()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    @staticmethod
    def rss() -> int:
        try:
            with open("/proc/self/statm", encoding="ascii") as statm:
                return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
        except OSError:
            import resource

            return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    def _sample(self) -> None:
        while not self._stop.wait(0.002):
            self.peak = max(self.peak, self.rss())

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self.rss())


def child(total: int, files: int, entries: int) -> dict[str, Any]:
    """In the child: seed AWS, plan the night, run the worker once under tracemalloc."""
    import gc
    import tracemalloc

    from benchmarks.stack import reset_library_caches
    from local.cfn import load_template
    from local.executor import drain, event_source
    from local.lambda_runtime import fake_context
    from local.moto_server import MotoServer
    from local.provision import provision

    server = MotoServer()  # paysync reaches AWS over HTTP: moto as a server, in this process
    os.environ["AWS_ENDPOINT_URL"] = server.start()
    try:
        resources = provision(endpoint_url=os.environ["AWS_ENDPOINT_URL"])
        env = resources.function_environment("SyncWorkerFunction")
        env.update(resources.function_environment("NightlyPullFunction"))
        env.update({k: os.environ[k] for k in ("SILAE_AUTH_URL", "SILAE_API_URL", "MYUNISOFT_API_URL")})
        os.environ.update(env)
        reset_library_caches()
        from functions.nightly_pull import app as nightly
        from functions.sync_worker import app as worker
        from paysync.entrypoints import services

        svc = services()
        _seed(Ignore(), Ignore(), svc.config, svc.secrets, total=total, files=files, entries=entries)
        plan = nightly.handler({"kind": "nightly", "night": NIGHT_ISO}, fake_context("NightlyPull"))
        assert plan["created"] == 1, plan
        gc.collect()
        tracemalloc.start()
        with RssSampler() as rss:
            drain(resources.queue_url("SyncQueue"), worker.handler)
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        before, after = rss.before, rss.peak
        run = svc.runs.get(plan["run_ids"][0])
        assert run is not None
        template = load_template(REPO / "template.yaml")
        size = template["Resources"]["SyncWorkerFunction"]["Properties"].get("MemorySize")
        return {
            "traced_peak_bytes": peak,
            "rss_before_bytes": before,
            "rss_peak_bytes": after,
            "rss_growth_bytes": max(0, after - before),
            "run_status": run.status.value,
            "memory_size_mb": int(size) if size else None,
            "batch_size": event_source(template).batch_size,
        }
    finally:
        server.stop()


if __name__ == "__main__":
    os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "ERROR")
    total_arg, files_arg, entries_arg = (int(a) for a in sys.argv[1:4])
    print(json.dumps({"memory": child(total_arg, files_arg, entries_arg)}))
