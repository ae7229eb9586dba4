"""The rules MyUnisoft's gateway applies before any route: steps 1 to 7 of the package docstring.

Authentication headers, maintenance, the sliding rate window and its ``X-Rate-Limit-*`` headers,
the ``society-id`` of cabinet tokens, the concurrency limit per token and route, the vendor's
error body on every refusal, and the vendor-specific injected faults.
"""

from __future__ import annotations

import secrets
import threading
from collections import deque
from collections.abc import Callable
from typing import Literal
from urllib.parse import urlencode

from local.fakes.myunisoft.errors import RejectedError, catalogued_error
from local.fakes.myunisoft.state import MyUnisoftState, Token
from local.fakes.server import FakeServer, Fault, Request, Response

# A route behind the gateway: the request, the admitted token, the dossier (None: not a dossier route).
ApiHandler = Callable[[Request, Token, int | None], Response]


def bearer(request: Request) -> str | None:
    auth = request.header("authorization") or ""
    scheme, _, token = auth.partition(" ")
    if scheme != "Bearer" or not token.strip():
        return None
    return token.strip()


class MyUnisoftGateway(MyUnisoftState, FakeServer):
    """A FakeServer whose ``/api/v1`` routes (added with :meth:`api`) sit behind MyUnisoft's gateway."""

    def __init__(
        self,
        host: str,
        port: int,
        *,
        rate_limit: int,
        rate_window_seconds: float,
        rate_reset_unit: Literal["s", "ms"],
        concurrency_limit: int,
    ) -> None:
        FakeServer.__init__(self, host, port)
        MyUnisoftState.__init__(self)
        # config (may be changed at any time)
        self.rate_limit = rate_limit
        self.rate_window_seconds = rate_window_seconds
        self.rate_reset_unit: Literal["s", "ms"] = rate_reset_unit
        self.concurrency_limit = concurrency_limit
        self.maintenance = False
        # Seconds each admitted call to a route path (e.g. "/api/v1/diary") spends in its handler:
        # a slow dossier, to reach the concurrency limit in tests.
        self.route_delays: dict[str, float] = {}
        self._local = threading.local()
        self._windows: dict[str, deque[float]] = {}
        self._in_flight: dict[tuple[str, str], int] = {}

    def reset_rate_limits(self) -> None:
        with self.lock:
            self._windows.clear()

    # -- every response: a request id, and the rate headers on /api/v1 ---------------------------------
    def request_id(self) -> str:
        """The current request's ``request-id`` (also the one of its error body)."""
        rid = getattr(self._local, "request_id", None)
        if rid is None:
            rid = self._local.request_id = "req-" + secrets.token_hex(8)
        return str(rid)

    def dispatch(self, request: Request) -> Response:
        self._local.request_id = "req-" + secrets.token_hex(8)
        self._local.rate = None
        try:
            response = super().dispatch(request)
            response.headers.setdefault("request-id", self.request_id())
            if request.path.startswith("/api/v1"):
                self._rate_headers(request, response)
            return response
        finally:
            self._local.request_id = None
            self._local.rate = None

    def _format_reset(self, reset_at: float) -> str:
        return str(round(reset_at * 1000)) if self.rate_reset_unit == "ms" else f"{reset_at:.6f}"

    def _rate_headers(self, request: Request, response: Response) -> None:
        rate = getattr(self._local, "rate", None)
        if rate is None:  # the call was not admitted: show the bucket without counting
            rate = self._peek(bearer(request) or "")
        remaining, reset_at = rate
        response.headers.setdefault("X-Rate-Limit-Remaining", str(remaining))
        response.headers.setdefault("X-Rate-Limit-Reset", self._format_reset(reset_at))
        response.headers.setdefault("X-Rate-Limit-Total", str(self.rate_limit))

    # -- the sliding window per token ------------------------------------------------------------------
    def _window(self, key: str, now: float) -> deque[float]:
        stamps = self._windows.setdefault(key, deque())
        while stamps and stamps[0] <= now - self.rate_window_seconds:
            stamps.popleft()
        return stamps

    def _peek(self, key: str) -> tuple[int, float]:
        with self.lock:
            now = self.time()
            stamps = self._window(key, now)
            reset_at = stamps[0] + self.rate_window_seconds if stamps else now + self.rate_window_seconds
            return max(0, self.rate_limit - len(stamps)), reset_at

    def _admit(self, key: str) -> bool:
        with self.lock:
            now = self.time()
            stamps = self._window(key, now)
            if len(stamps) >= self.rate_limit:
                self._local.rate = (0, stamps[0] + self.rate_window_seconds)
                return False
            stamps.append(now)
            self._local.rate = (self.rate_limit - len(stamps), stamps[0] + self.rate_window_seconds)
            return True

    # -- errors and faults -----------------------------------------------------------------------------
    def error(
        self,
        request: Request,
        code: str,
        *,
        status: int | None = None,
        fields: list[str] | None = None,
        placeholders: tuple[str, ...] = (),
    ) -> Response:
        base = self.url if self._httpd is not None else ""
        query = f"?{urlencode(request.query)}" if request.query else ""
        return catalogued_error(
            code,
            url=f"{base}{request.path}{query}",
            method=request.method,
            request_id=self.request_id(),
            status=status,
            fields=fields,
            placeholders=placeholders,
        )

    def error_response(self, status: int, request: Request) -> Response:
        return self.error(request, "ERR-HTTP", status=status)

    def fault_response(self, fault: Fault, request: Request) -> Response | None:
        if fault.kind == "rate_limit":
            seconds = fault.seconds or self.rate_window_seconds
            reset_at = self.time() + seconds
            self._local.rate = (0, reset_at)
            return self.error(request, "ERR-TOO-MANY-REQUEST")
        if fault.kind == "maintenance":
            return self.error(request, "ERR-API-UNDER-MAINTENANCE")
        if fault.kind == "concurrency":
            return self.error(request, "ERR-TOO-MANY-CONCURRENT-REQUEST")
        if fault.kind == "refused":  # a refusal retrying cannot cure, with the code in extra["code"]
            return self.error(request, str(fault.extra.get("code", "ERR-FORBIDDEN-ROUTE")))
        return None

    def not_found(self, request: Request) -> Response:
        if not request.path.startswith("/api/v1/"):
            return super().not_found(request)
        guarded = self._authenticate(request)
        if isinstance(guarded, Response):
            return guarded
        return self.error(request, "ERR-FORBIDDEN-ROUTE")

    # -- who may call ----------------------------------------------------------------------------------
    def _authenticate(self, request: Request) -> Token | Response:
        """Steps 1 to 5 of the package docstring; an admitted call counts in the token's window."""
        token = bearer(request)
        secret = request.header("x-third-party-secret")
        with self.lock:
            known = self.partner_secrets.get(secret or "")
            record = self.tokens.get(token or "")
        code: str | None = None
        if not token:
            code = "ERR-INVALID-AUTH-HEADER"
        elif not secret:
            code = "ERR-SECRET-HEADER-NOT-SET"
        elif known is None or not known[1]:
            code = "ERR-INVALID-SECRET"
        elif record is None or record.revoked:
            code = "ERR-API-TOKEN-NOT-FOUND"
        elif self.maintenance:
            code = "ERR-API-UNDER-MAINTENANCE"
        elif not self._admit(token):
            code = "ERR-TOO-MANY-REQUEST"
        if code is not None or record is None:
            return self.error(request, code or "ERR-API-TOKEN-NOT-FOUND")
        with self.lock:
            record.activated = True
        return record

    def target_society(self, request: Request, token: Token) -> int | Response:
        """Step 6: the dossier a call works on, or the refusal."""
        if token.kind == "api" and token.society_id is not None:
            return token.society_id
        raw = request.header("society-id")
        if raw is None or not raw.strip():
            return self.error(request, "SOCIETE10")
        try:
            society_id = int(raw.strip())
        except ValueError:
            return self.error(request, "DROIT1")
        with self.lock:
            society = self.societies.get(society_id)
        if society is None or society.schema_id != token.schema_id:
            return self.error(request, "DROIT1")
        return society_id

    def api(self, method: str, path: str, handler: ApiHandler, *, dossier: bool = True) -> None:
        """Route ``path`` behind the gateway; ``dossier``: the call works on one society (step 6)."""

        def guarded(request: Request) -> Response:
            token = self._authenticate(request)
            if isinstance(token, Response):
                return token
            society_id: int | None = None
            if dossier:
                target = self.target_society(request, token)
                if isinstance(target, Response):
                    return target
                society_id = target
            slot = (bearer(request) or "", path)
            with self.lock:
                busy = self._in_flight.get(slot, 0)
                if busy >= self.concurrency_limit:
                    return self.error(request, "ERR-TOO-MANY-CONCURRENT-REQUEST")
                self._in_flight[slot] = busy + 1
            try:
                if delay := self.route_delays.get(path, 0.0):
                    self.sleep(delay)
                return handler(request, token, society_id)
            except RejectedError as rejected:
                return self.error(
                    request, rejected.code, fields=rejected.fields, placeholders=rejected.placeholders
                )
            finally:
                with self.lock:
                    self._in_flight[slot] -= 1

        self.route(method, path, guarded)
