"""What a server says about when to come back: ``Retry-After`` and ``X-Rate-Limit-Reset``."""

from __future__ import annotations

import math
from datetime import UTC
from email.utils import parsedate_to_datetime

import httpx


def header_float(headers: httpx.Headers, name: str) -> float | None:
    """A numeric header, or None when it is missing or not a number."""
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return float(raw.strip())
    except ValueError:
        return None


def header_int(headers: httpx.Headers, name: str) -> int | None:
    value = header_float(headers, name)
    return None if value is None else int(value)


def retry_after(headers: httpx.Headers, now: float) -> float | None:
    """``Retry-After`` (RFC 9110, 10.2.3) as seconds from ``now`` (epoch seconds).

    Either delay-seconds or an HTTP-date (always GMT, whatever its zone says or omits). A date in
    the past or a negative delay is 0; a missing, unreadable or infinite value is None.
    """
    value = headers.get("Retry-After")
    if not value:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = when.timestamp() - now
    return max(seconds, 0.0) if math.isfinite(seconds) else None


def resolve_reset(value: float, now: float) -> float:
    """An absolute epoch-seconds instant for an ``X-Rate-Limit-Reset`` value.

    The header is only documented as a "timestamp". Candidates: epoch seconds (``value``), epoch
    milliseconds (``value / 1000``) and seconds from now (``now + value``); the nearest to ``now``
    wins, epoch seconds on a tie.
    """
    candidates = (value, value / 1000.0, now + value)
    return min(candidates, key=lambda instant: abs(instant - now))
