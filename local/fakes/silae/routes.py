"""The fake Silae's two front doors: the OAuth2 token endpoint, and the Paie REST API behind API
Management (subscription key, bearer token, ``dossiers`` header), then one method per operation."""

from __future__ import annotations

import base64
import copy
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

from local.fakes.server import FakeServer, Fault, Request, Response
from local.fakes.silae.answers import (
    APIM_INVALID_TOKEN,
    APIM_MISSING_KEY,
    CODE_DOSSIER_DENIED,
    CODE_DOSSIER_NOT_IN_HEADER,
    CODE_EMPTY_DOSSIERS,
    CODE_INVALID_REQUEST,
    CODE_SERVER,
    CODE_UNRECOVERABLE,
    MESSAGE_EMPTY_DOSSIERS,
    PARIS,
    Answer,
    api_errors,
    bad_request,
    format_expiration_warning,
    invalid_key,
    oauth_error,
)
from local.fakes.silae.state import ApiAccount, Configuration, IssuedToken, Payroll, SilaeState
from paysync.config import SILAE_DEFAULT_SCOPE
from paysync.domain.periods import Period

TOKEN_PATH = "/oauth2/v2.0/token"
API_PREFIX = "/payroll"
# The ``resource`` of Silae's tokens: the application id in the documented scope.
RESOURCE = "36658aca-9556-41b7-9e48-77e90b006f34"
# Silae starts sending X-PrimaryKeyExpirationWarning this long before the secret expires.
EXPIRY_WARNING_WINDOW = timedelta(days=31)


@dataclass(frozen=True)
class _DossierRequest:
    dossier: str
    start: datetime
    end: datetime


Operation = Callable[[Configuration, _DossierRequest | None, Request], Response]


class FakeSilae(SilaeState, FakeServer):
    """Silae auth + Paie REST API. Thread-safe; ``reset()`` returns it to empty between tests."""

    name = "fake-silae"
    DOSSIER_DENIED_CODE = CODE_DOSSIER_DENIED

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        scope: str = SILAE_DEFAULT_SCOPE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        FakeServer.__init__(self, host, port)
        SilaeState.__init__(self)
        self.scope = scope
        self.clock = clock
        self.token_lifetime_seconds = 3600
        self.dossier_denied_code = CODE_DOSSIER_DENIED
        self.requests: list[Request] = []  # every request received, faults included
        # (needs a dossiers header, handler)
        self._operations: dict[str, tuple[bool, Operation]] = {
            "/v1/InfosTechniquesDossiers/ListeNumerosDossiers": (False, self._liste_numeros_dossiers),
            "/v1/InfosTechniquesDossiers/ListeDossiers": (False, self._liste_dossiers),
            "/v1/EcrituresComptables/EcrituresComptables4": (True, self._ecritures_comptables4),
            "/v1/EcrituresComptables/RecupererFichiersEcrituresComptables": (True, self._fichiers),
            "/v1/InfosTechniquesDossiers/DossierRecupererPeriodeEnCours": (False, self._periode_en_cours),
        }
        self.route("POST", TOKEN_PATH, self._token)
        self.route("POST", f"{API_PREFIX}/v1/[^/]+/[^/]+", self._api)

    def __enter__(self) -> FakeSilae:
        self.start()
        return self

    # -- settings the client needs ---------------------------------------------------------------
    @property
    def auth_url(self) -> str:
        return self.url + TOKEN_PATH

    @property
    def api_url(self) -> str:
        return self.url + API_PREFIX

    def reset(self) -> None:
        """Back to an empty fake (same port): state, faults, call log, settings."""
        with self._state:
            self._accounts.clear()
            self._configurations.clear()
            self._tokens.clear()
            self._payroll.clear()
            self._properties.clear()
            self._open_periods.clear()
            self.scope = SILAE_DEFAULT_SCOPE
            self.clock = time.time
            self.token_lifetime_seconds = 3600
            self.dossier_denied_code = CODE_DOSSIER_DENIED
        self.faults.clear()
        with self._calls_lock:
            self.calls.clear()
            self.requests.clear()

    def requests_to(self, path_contains: str) -> list[Request]:
        with self._calls_lock:
            return [request for request in self.requests if path_contains in request.path]

    # -- dispatch, faults, errors ----------------------------------------------------------------
    def dispatch(self, request: Request) -> Response:
        with self._calls_lock:
            self.requests.append(request)
        return super().dispatch(request)

    def fault_response(self, fault: Fault, request: Request) -> Response | None:
        if fault.kind == "rate_limit":
            seconds = int(fault.extra.get("retry_after", fault.seconds or 1))
            return Response(
                status=429,
                headers={"Retry-After": str(seconds)},
                body={
                    "statusCode": 429,
                    "message": f"Rate limit is exceeded. Try again in {seconds} seconds.",
                },
            )
        if fault.kind == "recoverable":
            message = fault.extra.get("message", "Erreur temporaire du service de paie")
            code = fault.extra.get("code", CODE_SERVER)
            return Response(status=500, body=api_errors(code, message, recoverable=True, source="Server"))
        if fault.kind == "unrecoverable":
            message = fault.extra.get("message", "La configuration d'accès API est invalide")
            code = fault.extra.get("code", CODE_UNRECOVERABLE)
            return Response(status=400, body=api_errors(code, message, recoverable=False, source="Api"))
        if fault.kind == "gateway":
            # A proxy failure: a 5xx without any ApiErrors body.
            return Response(
                status=fault.status if fault.status >= 500 else 502,
                body=b"<html><body>Bad Gateway</body></html>",
                content_type="text/html",
            )
        return None

    def error_response(self, status: int, request: Request) -> Response:
        if request.path == TOKEN_PATH:
            error = "server_error" if status >= 500 else "invalid_request"
            return Response(status=status, body={"error": error, "error_description": "injected fault"})
        recoverable = status >= 500
        body = api_errors(
            str(status), "Erreur injectée", recoverable=recoverable, source="Server" if recoverable else "Api"
        )
        return Response(status=status, body=body)

    def not_found(self, request: Request) -> Response:
        return Response(status=404, body={"statusCode": 404, "message": "Resource not found"})

    # -- token endpoint --------------------------------------------------------------------------
    def _token(self, request: Request) -> Response:
        try:
            client_id = self._check_token_request(request)
        except Answer as answer:
            return answer.response
        with self._state:
            token = secrets.token_urlsafe(32)
            issued = self.clock()
            lifetime = self.token_lifetime_seconds
            self._tokens[token] = IssuedToken(client_id=client_id, expires_at=issued + lifetime)
        return Response(
            body={
                "access_token": token,
                "token_type": "Bearer",
                "expires_in": lifetime,
                "not_before": int(issued),
                "expires_on": int(issued + lifetime),
                "resource": RESOURCE,
            }
        )

    def _check_token_request(self, request: Request) -> str:
        """The Client ID of a valid client-credentials request; raises Answer otherwise."""
        content_type = request.header("content-type") or ""
        if not content_type.startswith("application/x-www-form-urlencoded"):
            raise oauth_error(400, "invalid_request", "The request body must be form-encoded.")
        form = {k: v[-1] for k, v in parse_qs(request.body.decode("utf-8"), keep_blank_values=True).items()}
        if form.get("grant_type") != "client_credentials":
            raise oauth_error(400, "unsupported_grant_type", "Only client_credentials is supported.")
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if not client_id or not secret:
            raise oauth_error(400, "invalid_request", "client_id and client_secret are required.")
        if form.get("scope") != self.scope:
            raise oauth_error(400, "invalid_scope", "The scope requested is invalid.")
        with self._state:
            account = self._accounts.get(client_id)
            if account is None:
                raise oauth_error(401, "invalid_client", "The client id is unknown.")
            if not account.active:
                raise oauth_error(401, "invalid_client", "The API account is deactivated.")
            candidates = [(account.secret, account.secret_expires_at)]
            if account.secondary_secret and account.secondary_expires_at:
                candidates.append((account.secondary_secret, account.secondary_expires_at))
        expiries = [expiry for known, expiry in candidates if secrets.compare_digest(known, secret)]
        if not expiries:
            raise oauth_error(401, "invalid_client", "The client secret does not match this client.")
        if all(expiry <= self._now() for expiry in expiries):
            raise oauth_error(401, "invalid_client", "The client secret has expired.")
        return client_id

    # -- API -------------------------------------------------------------------------------------
    def _api(self, request: Request) -> Response:
        warnings: dict[str, str] = {}
        try:
            with self._state:
                configuration = self._check_gateway(request)
                token = self._check_bearer(request)
                token_account = self._accounts.get(token.client_id)
                warnings = self._expiry_headers(token_account) if token_account else {}
                if token.client_id != configuration.client_id:
                    # A key of another API account than the token's: in MyUnisoft's words,
                    # dossier-level settings that conflict with firm-level ones.
                    raise Answer(invalid_key())
                known = self._operations.get(request.path[len(API_PREFIX) :])
                if known is None:
                    raise Answer(self.not_found(request))
                needs_dossiers, handler = known
                checked = self._check_dossier_request(request, configuration) if needs_dossiers else None
                response = handler(configuration, checked, request)
        except Answer as answer:
            response = answer.response
        response.headers.update(warnings)
        return response

    def _check_gateway(self, request: Request) -> Configuration:
        """API Management checks the subscription key before anything else."""
        key = (request.header("ocp-apim-subscription-key") or "").strip()
        if not key:
            raise Answer(Response(status=401, body={"statusCode": 401, "message": APIM_MISSING_KEY}))
        configuration = self._configurations.get(key)
        account = self._accounts.get(configuration.client_id) if configuration else None
        if configuration is None or configuration.revoked or account is None or not account.active:
            raise Answer(invalid_key())
        return configuration

    def _check_bearer(self, request: Request) -> IssuedToken:
        scheme, _, value = (request.header("authorization") or "").partition(" ")
        token = self._tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        if token is None or self.clock() >= token.expires_at:
            raise Answer(
                Response(
                    status=401,
                    headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                    body={"statusCode": 401, "message": APIM_INVALID_TOKEN},
                )
            )
        return token

    def _expiry_headers(self, account: ApiAccount) -> dict[str, str]:
        now = self._now()
        headers: dict[str, str] = {}
        for name, expiry in (
            ("X-PrimaryKeyExpirationWarning", account.secret_expires_at),
            ("X-SecondaryKeyExpirationWarning", account.secondary_expires_at),
        ):
            if expiry is not None and expiry - now <= EXPIRY_WARNING_WINDOW:
                headers[name] = format_expiration_warning(expiry)
        return headers

    def _check_dossier_request(self, request: Request, configuration: Configuration) -> _DossierRequest:
        listed = _listed_dossiers(request)
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise bad_request(CODE_INVALID_REQUEST, "Le corps de la requête est invalide.")
        dossier = body.get("numeroDossier")
        if not isinstance(dossier, str) or not dossier.strip():
            raise bad_request(CODE_INVALID_REQUEST, "Le champ numeroDossier est obligatoire.")
        # The API's own rules on periods are undocumented; the fake requires a well-ordered range.
        start, end = _date_time(body.get("periodeDebut")), _date_time(body.get("periodeFin"))
        if start is None or end is None or start > end:
            raise bad_request(CODE_INVALID_REQUEST, "Les champs periodeDebut et periodeFin sont invalides.")
        if not isinstance(body.get("avecToutesLesRepartitionsAnalytiques", False), bool):
            raise bad_request(CODE_INVALID_REQUEST, "avecToutesLesRepartitionsAnalytiques est invalide.")
        self._check_access(configuration, dossier, listed, reached=listed)
        return _DossierRequest(dossier=dossier, start=start, end=end)

    def _check_access(
        self, configuration: Configuration, dossier: str, listed: list[str], *, reached: list[str]
    ) -> None:
        """The body's dossier among the header's (assumed: undocumented), and each of ``reached``
        granted to the API configuration."""
        if dossier not in listed:
            raise bad_request(
                CODE_DOSSIER_NOT_IN_HEADER, f"Le dossier {dossier} est absent de l'en-tête dossiers."
            )
        for number in reached:
            if number not in configuration.dossiers:
                raise bad_request(
                    self.dossier_denied_code,
                    f"L'utilisateur de la configuration API n'a pas accès au dossier {number}.",
                )

    # -- operations ------------------------------------------------------------------------------
    def _liste_numeros_dossiers(
        self, configuration: Configuration, checked: _DossierRequest | None, request: Request
    ) -> Response:
        return Response(body={"listeNumerosDossiers": sorted(configuration.dossiers)})

    def _liste_dossiers(
        self, configuration: Configuration, checked: _DossierRequest | None, request: Request
    ) -> Response:
        """The dossiers the configuration reaches, with their properties (a dossier given none is
        listed by its number alone). ``etatDossier`` in the body keeps the dossiers in that state;
        ``typeDossiers`` is ignored (both undocumented)."""
        try:
            body = request.json() if request.body else {}
        except ValueError:
            body = None
        if not isinstance(body, dict) or any(
            not isinstance(body.get(key, 0), int) or isinstance(body.get(key), bool)
            for key in ("typeDossiers", "etatDossier")
        ):
            raise bad_request(CODE_INVALID_REQUEST, "Le corps de la requête est invalide.")
        rows = self.dossier_rows(configuration.dossiers, state=body.get("etatDossier"))
        return Response(body={"listeDossiers": rows})

    def _stored(self, checked: _DossierRequest) -> list[Payroll]:
        found, month = [], Period.of(checked.start.date())
        while month <= Period.of(checked.end.date()):
            if (payroll := self._payroll.get((checked.dossier, month))) is not None:
                found.append(payroll)
            month = month.next()
        return found

    def _ecritures_comptables4(
        self, configuration: Configuration, checked: _DossierRequest | None, request: Request
    ) -> Response:
        checked = _required(checked)
        # avecToutesLesRepartitionsAnalytiques: its effect on the lines is undocumented; ignored here.
        ruptures = [copy.deepcopy(item) for payroll in self._stored(checked) for item in payroll.ruptures]
        return Response(
            body={
                "numeroDossier": checked.dossier,
                "periodeDebut": checked.start.replace(tzinfo=None).isoformat(timespec="seconds"),
                "periodeFin": checked.end.replace(tzinfo=None).isoformat(timespec="seconds"),
                "ruptures": ruptures,
            }
        )

    def _fichiers(
        self, configuration: Configuration, checked: _DossierRequest | None, request: Request
    ) -> Response:
        fichiers = [
            {"nomFichier": name, "document": base64.b64encode(content).decode("ascii")}
            for payroll in self._stored(_required(checked))
            for name, content in payroll.files
        ]
        return Response(body={"fichiers": fichiers})

    def _periode_en_cours(
        self, configuration: Configuration, checked: _DossierRequest | None, request: Request
    ) -> Response:
        """``DossierRecupererPeriodeEnCours`` (``DossierRequest``: no period): the open month's first
        day; the same dossier checks as the other dossier routes."""
        listed = _listed_dossiers(request)
        try:
            body = request.json()
        except ValueError:
            body = None
        dossier = body.get("numeroDossier") if isinstance(body, dict) else None
        if not isinstance(dossier, str) or not dossier.strip():
            raise bad_request(CODE_INVALID_REQUEST, "Le champ numeroDossier est obligatoire.")
        self._check_access(configuration, dossier, listed, reached=[dossier])
        with self._state:
            month = self._open_periods.get(dossier) or Period.of(self._now().astimezone(PARIS).date())
        return Response(body={"periodeEnCours": f"{month.first_day.isoformat()}T00:00:00"})

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)


def _required(checked: _DossierRequest | None) -> _DossierRequest:
    if checked is None:  # only dossier operations get here, always with a checked request
        raise bad_request(CODE_INVALID_REQUEST, "Le corps de la requête est invalide.")
    return checked


def _date_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _listed_dossiers(request: Request) -> list[str]:
    """The ``dossiers`` header's numbers (comma-separated); none is a refusal."""
    listed = [part.strip() for part in (request.header("dossiers") or "").split(",") if part.strip()]
    if not listed:
        raise bad_request(CODE_EMPTY_DOSSIERS, MESSAGE_EMPTY_DOSSIERS)
    return listed
