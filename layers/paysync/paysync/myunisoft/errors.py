"""Typed errors of the MyUnisoft API: ``{"error": {code, message, details}}``, one at a time."""

from __future__ import annotations

import re

from paysync.errors import PaysyncError, TransientError


class MyUnisoftError(PaysyncError):
    """A MyUnisoft error response. Automate on ``code``, never on ``message``.

    ``retry_after``, on a transient error: what the server asked to wait before the next attempt
    (``Retry-After``), 0 when the client's pacer already holds every call until
    ``X-Rate-Limit-Reset``, None when it said nothing (the client backs off).
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}" + (f" (request-id {request_id})" if request_id else ""))
        self.code = code
        self.message = message
        self.status = status
        self.request_id = request_id
        self.retry_after = retry_after


class MyUnisoftTransientError(MyUnisoftError, TransientError):
    """Network failure, timeout, 408, 5xx, 429 ``ERR-TOO-MANY-REQUEST``, maintenance: retry later."""


class MyUnisoftAmbiguousWriteError(MyUnisoftTransientError):
    """A write (``POST /entry``, ``POST /document/add_all_types``) whose answer was lost.

    The request went out but the connection broke, timed out or ended in a 5xx: MyUnisoft may or
    may not have applied it. The client does not blindly repeat such a write. ``create_entry``
    resolves it by looking the entry up by its ``entry_origin_partner_id``; for an attachment the
    caller decides (repeating it may attach the file twice).

    ``still_running``: we stopped waiting (a read timeout, a 504) while MyUnisoft may still be
    applying it, so a lookup made now may not see it yet, and only a later attempt may conclude.
    """

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        request_id: str | None = None,
        still_running: bool = False,
    ) -> None:
        super().__init__(code, message, status=status, request_id=request_id)
        self.still_running = still_running


class MyUnisoftExistsUnfoundError(MyUnisoftError):
    """``POST /entry`` was refused as already existing, yet the lookup by ``entry_origin_partner_id``
    finds nothing: nothing is posted again, someone must look (``code``/``request_id`` are the
    refusal's)."""


class MyUnisoftListingUnavailableError(MyUnisoftError):
    """``GET /mad/entries`` was refused (a route the token may not use, an unknown route, a
    parameter it rejects) or answered something that is not a listing of entries.

    The listing is experimental on MyUnisoft's side: the caller falls back to looking entries up one
    by one (``GET /entry/id``). Not raised for refusals that concern the credentials or the dossier
    (``ACCESS_CODES``), which every other route would meet too, nor for transient failures (raised
    as ``MyUnisoftTransientError`` once the retries are spent).
    """


# Gateway codes (errors.json ``gateway_errors``) and catalogue codes the client acts on.
TOO_MANY_REQUESTS = "ERR-TOO-MANY-REQUEST"
# errors.json spells it in the singular, docs/ratelimit.md in the plural: accept both.
TOO_MANY_CONCURRENT_REQUESTS = frozenset(
    {"ERR-TOO-MANY-CONCURRENT-REQUEST", "ERR-TOO-MANY-CONCURRENT-REQUESTS"}
)
UNDER_MAINTENANCE = "ERR-API-UNDER-MAINTENANCE"
TRANSIENT_CODES = frozenset({TOO_MANY_REQUESTS, UNDER_MAINTENANCE, *TOO_MANY_CONCURRENT_REQUESTS})
# The token was revoked or never existed: generate a new one (configuration, never retried).
TOKEN_NOT_FOUND_CODES = frozenset(
    {"ERR-API-TOKEN-NOT-FOUND", "ERR-FIRM-TOKEN-NOT-FOUND", "ERR-FOLDER-NOT-FOUND"}
)
# The partner secret is missing, unknown or not activated yet.
SECRET_CODES = frozenset({"ERR-SECRET-HEADER-NOT-SET", "ERR-INVALID-SECRET", "ERR-SECRET-NOT-CONFIGURED"})
# The call's credentials or dossier are refused: the same answer on every route.
ACCESS_CODES = frozenset(
    {
        *TOKEN_NOT_FOUND_CODES,
        *SECRET_CODES,
        "ERR-INVALID-AUTH-HEADER",
        "ERR-INVALID-JWT",
        "ERR-INVALID-API-JWT",
        "ERR-INVALID-FIRM-JWT",
        "ERR-THIRD-PARTY-DISCONNECTED",
        "ERR-FORBIDDEN-ACCESS",
        "SOCIETE10",  # no dossier chosen (cabinet token without society-id)
        "DROIT1",  # no access to this dossier
    }
)
# No code of the catalogue names "this entry_origin_partner_id is already used", nor do the docs say
# MyUnisoft refuses a duplicate at all. If it does, the generic GBL6 "Cet élément existe déjà." (400)
# is the likeliest; a 409, or another code whose text says so, are read the same way.
DUPLICATE_ORIGIN_CODE = "GBL6"
# Codes the client makes up when there is no MyUnisoft error body to read.
NETWORK_ERROR_CODE = "ERR-NETWORK"  # no answer: connection refused/reset, timeout
HTTP_ERROR_CODE = "ERR-HTTP"  # an answer without the ``{"error": {...}}`` body (gateway page, bad JSON)
UNEXPECTED_RESPONSE_CODE = "ERR-UNEXPECTED-RESPONSE"  # 2xx whose body is not the documented shape


# "déjà", "already", "duplicate", "doublon"; or a code like ENTRY-EXISTS (never "n'existe pas").
_SAYS_EXISTS = re.compile(r"d[ée]j[àa]|already|duplica|doublon", re.IGNORECASE)
_EXISTS_CODE = re.compile(r"EXISTS?(?![A-Z])", re.IGNORECASE)


def says_already_exists(error: MyUnisoftError) -> bool:
    """Whether a refused ``POST /entry`` says the entry (or its partner id) is already there: GBL6,
    any 409, or a code or message saying so. Read widely on purpose: it only leads to a lookup."""
    if isinstance(error, MyUnisoftTransientError):
        return False
    if error.status == 409 or error.code == DUPLICATE_ORIGIN_CODE:
        return True
    if _SAYS_EXISTS.search(error.code) or _SAYS_EXISTS.search(error.message):
        return True
    return bool(_EXISTS_CODE.search(error.code)) and "NOT" not in error.code.upper()
