"""Every fault the vendor fakes inject, aimed at one dossier's calls, deterministically.

Each kind hits the calls where it matters: Silae's ``EcrituresComptables4``; MyUnisoft's lookup by
partner id and ``POST /entry`` (the posting path). Most strike once and the client's own retry
absorbs them; three strike until the client gives up, since what follows differs: Silae's
``recoverable`` (SQS redelivers the run), MyUnisoft's maintenance (the lookup fails before anything
is sent, then every POST attempt is refused at the gateway: the claim is given back each time) and
the answer lost after commit (the lookup that would settle it fails too: the POST may have landed,
the claim is kept for the next delivery). Timeouts cost the client's timeout each.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

from benchmarks.world import SeededDossier
from local.fakes.server import Fault

Vendor = Literal["silae", "myunisoft"]
LOOKUP = "/api/v1/entry/id"
POST_ENTRY = "/api/v1/entry"
SILAE_ENTRIES = "EcrituresComptables4"


@dataclass(frozen=True)
class FaultKind:
    vendor: Vendor
    name: str

    @property
    def label(self) -> str:
        return f"{self.vendor}: {self.name}"


SILAE_KINDS = tuple(
    FaultKind("silae", name)
    for name in ("latency", "5xx", "429", "timeout", "reset", "recoverable", "unrecoverable")
)
MYUNISOFT_KINDS = tuple(
    FaultKind("myunisoft", name)
    for name in (
        "latency",
        "5xx",
        "429 + X-Rate-Limit-Reset",
        "timeout",
        "reset",
        "maintenance",
        "too many concurrent requests",
        "answer lost after commit",
    )
)
FAULT_KINDS = SILAE_KINDS + MYUNISOFT_KINDS


def myunisoft_selector(item: SeededDossier) -> dict[str, str]:
    """The header that tells this dossier's MyUnisoft calls apart: its society (cabinet token) or
    its own token (société token). Ids and tokens have one length, so a substring is an equality."""
    if item.dossier.has_societe_token:
        return {"authorization": item.token}
    return {"society-id": str(item.dossier.society_id)}


def faults_for(kind: FaultKind, item: SeededDossier, *, attempts: int, timeout: float) -> list[Fault]:
    """The faults that put ``kind`` on ``item``'s calls (``attempts``: the clients' per call)."""
    if kind.vendor == "silae":
        return [_silae(kind.name, attempts, timeout, {"dossiers": str(item.dossier.payroll_dossier_number)})]
    who = myunisoft_selector(item)
    lookup, post = _aimed(LOOKUP, who, method="GET"), _aimed(POST_ENTRY, who, method="POST")
    late = timeout * 1.5
    plan: dict[str, list[Fault]] = {
        "latency": [lookup("latency", 1, seconds=0.02), post("latency", 1, seconds=0.02)],
        # a 5xx on the POST is ambiguous: the client looks the entry up before posting again
        "5xx": [lookup("status", 1, status=502), post("status", 1, status=502)],
        "429 + X-Rate-Limit-Reset": [
            lookup("rate_limit", 1, seconds=0.02),
            post("rate_limit", 1, seconds=0.02),
        ],
        "timeout": [post("timeout", 1, seconds=late)],  # ambiguous; a GET's is retried as a reset is
        "reset": [lookup("reset", 1), post("reset", 1)],
        "maintenance": [lookup("maintenance", attempts), post("maintenance", attempts)],
        "too many concurrent requests": [lookup("concurrency", 1), post("concurrency", 1)],
        # after the lookup made before the POST: the POST applied, its answer lost, the lookups
        # that would settle it failing
        "answer lost after commit": [
            post("lost_response", 1),
            lookup("status", attempts, status=502, skip=1),
        ],
    }
    return plan[kind.name]


def _aimed(path: str, who: dict[str, str], *, method: str = "") -> Callable[..., Fault]:
    """Faults on one dossier's calls to ``path``: ``fault(kind, times, seconds=..., ...)``."""

    def fault(kind: str, times: int, **options: Any) -> Fault:
        return Fault(kind, times=times, path_contains=path, method=method, headers=who, **options)

    return fault


def _silae(name: str, attempts: int, timeout: float, who: dict[str, str]) -> Fault:
    fault = _aimed(SILAE_ENTRIES, who)
    plan = {
        "latency": fault("latency", 1, seconds=0.02),
        "5xx": fault("status", 1, status=503),
        "429": fault("rate_limit", 1, extra={"retry_after": 0}),
        "timeout": fault("timeout", 1, seconds=timeout * 1.5),
        "reset": fault("reset", 1),
        "recoverable": fault("recoverable", attempts),  # ApiErrors recoverable: true
        "unrecoverable": fault("unrecoverable", 1),  # recoverable: false: a diagnosis, not a retry
    }
    return plan[name]
