"""The existence check's paths (``paysync.usecases.existence``), set up per dossier for the matrix.

Before a night, each dossier is given one path: its period never attempted (no check at all), or
attempted earlier, with the listing up to date, refused (lookups instead), failing until the
client gives up (the run is retried), an hour behind, a second behind (an entry posted a second
earlier is missing from it), or attempted two days earlier with the listing an hour behind. The
faults and crash points of the matrix then strike on top, the ledger wiped among them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from benchmarks.world import SeededDossier
from local.fakes.server import Fault
from tests.faultmatrix.vendor import myunisoft_selector

LISTING = "/api/v1/mad/entries"
OTHER_PERIOD = "1999-12"  # a period the nights never use: a history without the night's period


@dataclass(frozen=True)
class ExistencePath:
    name: str
    attempted_ago: timedelta | None = None  # None: the period never attempted
    listing: str = "up to date"  # up to date | refused | failing | stale
    stale_seconds: float = 0.0


EXISTENCE_PATHS = (
    ExistencePath("period never attempted"),
    ExistencePath("attempted: listing", timedelta(hours=1)),
    ExistencePath("attempted: listing refused", timedelta(hours=1), "refused"),
    ExistencePath("attempted: listing failing", timedelta(hours=1), "failing"),
    ExistencePath("attempted: listing an hour late", timedelta(hours=1), "stale", 3600.0),
    ExistencePath("attempted: listing a second late", timedelta(hours=1), "stale", 1.0),
    ExistencePath("attempted 2 days ago: listing an hour late", timedelta(days=2), "stale", 3600.0),
)


def set_path(env: Any, item: SeededDossier, period: str, path: ExistencePath, *, attempts: int) -> None:
    """Give ``item`` the witness and listing of ``path`` for a night of ``period``."""
    dossier = item.dossier
    society, number = int(dossier.society_id or 0), str(dossier.payroll_dossier_number)
    witness = env.services.attempts
    now = datetime.now(UTC)
    if path.attempted_ago is None:
        witness.begin(society, number, OTHER_PERIOD, now - timedelta(days=400))  # a history exists
    else:
        witness.begin(society, number, period, now - path.attempted_ago)
    fake = env.myunisoft
    who = myunisoft_selector(item)
    if path.listing == "refused":
        fake.faults.add(Fault("refused", times=None, path_contains=LISTING, method="GET", headers=who))
    elif path.listing == "failing":
        fake.faults.add(
            Fault("status", times=attempts, path_contains=LISTING, method="GET", headers=who, status=502)
        )
    if path.stale_seconds:
        fake.mad_entries.stale_by_society[society] = path.stale_seconds
