"""The writes of one request, undone when a later one fails: what makes a save all or nothing.

Each write registers how to undo it; leaving the ``with`` block on an exception runs those undos,
last first. An undo that fails is logged and the others still run; the request's own exception is
the one raised. A process killed between two writes undoes nothing: each caller orders its writes
so that what such a crash leaves is still coherent (see ``usecases/settings.py``).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import Any, Literal

from paysync.observability import logger
from paysync.storage.config_table import Lease
from paysync.storage.secrets import PayrollSecret, SecretWritten
from paysync.usecases.services import Services

SecretWrite = Callable[[], SecretWritten]


class Writes:
    """The writes of one request and their undos."""

    def __init__(self, services: Services) -> None:
        self._services = services
        self._undo: list[tuple[str, Callable[[], Any]]] = []

    def secret(self, write: SecretWrite) -> None:
        written = write()
        self.undo_with(f"secret {written.name}", lambda: self._services.secrets.undo(written))

    def undo_with(self, what: str, undo: Callable[[], Any]) -> None:
        self._undo.append((what, undo))

    def __enter__(self) -> Writes:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        if error is None:
            return
        for what, undo in reversed(self._undo):
            try:
                undo()
            except Exception:
                logger.exception("a failed save could not be undone", extra={"write": what})


@contextmanager
def holding(
    services: Services, kind: Literal["firm", "dossier"], owner_id: str, lease: Lease | None, *, created: bool
) -> Iterator[Writes]:
    """The writes of one save that holds its firm or dossier with ``lease`` (if any): the hold is
    given up, and the item dropped if the save created it, when the save fails."""
    with Writes(services) as writes:
        if lease is not None:
            writes.undo_with(
                f"{kind} lease", lambda: services.config.release(kind, owner_id, lease, created=created)
            )
        yield writes


def secret_writes(
    services: Services,
    level: Literal["firm", "dossier"],
    owner_id: str,
    payroll: PayrollSecret | None,
    token: str | None,
) -> list[SecretWrite]:
    """The secret writes of a save, not done yet: its MyUnisoft token, then its payroll credentials."""
    writes: list[SecretWrite] = []
    if token is not None:
        writes.append(lambda: services.secrets.put_myunisoft_token(level, owner_id, token))
    if payroll is not None:
        writes.append(lambda: services.secrets.put_payroll(level, owner_id, payroll))
    return writes
