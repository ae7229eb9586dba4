"""The vendors' fakes as the unit tests start them: running on 127.0.0.1, stopped whatever happens."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Protocol, TypeVar

from local.fakes.myunisoft import FakeMyUnisoft


class Startable(Protocol):
    def start(self) -> object: ...
    def stop(self) -> object: ...


F = TypeVar("F", bound=Startable)


@contextmanager
def running(fake: F) -> Iterator[F]:
    fake.start()
    try:
        yield fake
    finally:
        fake.stop()


def myunisoft_firm(
    *, secret: str, token: str, cabinet: str, societies: tuple[int, int, int], rate_limit: int = 1000
) -> FakeMyUnisoft:
    """A fake MyUnisoft (not started) with one firm: two societies of schema 1 (the first reached by
    the société ``token``, both by the ``cabinet`` token) and a third of another firm's schema."""
    fake = FakeMyUnisoft(rate_limit=rate_limit, rate_window_seconds=1.0)
    fake.add_partner_secret(secret)
    own, other, foreign = societies
    fake.add_society(own, "ACME", schema_id=1)
    fake.add_society(other, "BETA", schema_id=1)
    fake.add_society(foreign, "ELSEWHERE", schema_id=2)
    fake.add_society_token(token, own)
    fake.add_cabinet_token(cabinet, schema_id=1)
    return fake
