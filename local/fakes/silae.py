"""A stateful fake of Silae: the OAuth2 token endpoint and the Paie REST API behind API Management.

One server serves both ``POST /oauth2/v2.0/token`` (``auth_url``) and ``POST /payroll/v1/...``
(``api_url``). State is set up with Python admin methods, never over HTTP. Bodies follow
``paie-rest-api-openapi.json``; gateway answers (401 subscription key / token, 404, 429) follow
Azure API Management's own JSON, which the OpenAPI file does not describe.

Where Silae's behaviour is undocumented the fake picks something and says so in a comment.
"""

from __future__ import annotations

import base64
import copy
import secrets
import threading
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qs
from zoneinfo import ZoneInfo

from local.fakes.server import FakeServer, Fault, Request, Response
from paysync.config import SILAE_DEFAULT_SCOPE
from paysync.domain.payroll import PayrollGroup
from paysync.domain.periods import Period

PARIS = ZoneInfo("Europe/Paris")
TOKEN_PATH = "/oauth2/v2.0/token"
API_PREFIX = "/payroll"
# The ``resource`` of Silae's tokens: the application id in the documented scope.
RESOURCE = "36658aca-9556-41b7-9e48-77e90b006f34"
# Silae starts sending X-PrimaryKeyExpirationWarning this long before the secret expires.
EXPIRY_WARNING_WINDOW = timedelta(days=31)

# Azure API Management's own bodies (not Silae's ApiErrors).
APIM_INVALID_KEY = (
    "Access denied due to invalid subscription key. "
    "Make sure to provide a valid key for an active subscription."
)
APIM_MISSING_KEY = (
    "Access denied due to missing subscription key. Make sure to include subscription key when making "
    "requests to an API."
)
APIM_INVALID_TOKEN = "Unauthorized. Access token is missing or invalid."

# Documented (external-apis.md): the dossiers header is missing or empty.
CODE_EMPTY_DOSSIERS = "1011"
MESSAGE_EMPTY_DOSSIERS = "la valeur de la liste de dossiers est nulle ou vide"
# The official codes of the cases below are undocumented: these are the fake's own choices, so
# nothing downstream may depend on them except through the fake's attributes.
CODE_INVALID_REQUEST = "VALIDATION"
CODE_DOSSIER_NOT_IN_HEADER = "DOSSIER_HORS_ENTETE"
CODE_DOSSIER_DENIED = "DOSSIER_NON_AUTORISE"
CODE_SERVER = "ERREUR_SERVEUR"
CODE_UNRECOVERABLE = "CONFIGURATION_INVALIDE"


def format_expiration_warning(moment: datetime) -> str:
    """``DD/MM/YYYY HH:MM:SS AM|PM`` in Paris time, built by hand (``%p`` depends on the locale)."""
    local = moment.astimezone(PARIS)
    hour = local.hour % 12 or 12
    meridiem = "AM" if local.hour < 12 else "PM"
    return f"{local:%d/%m/%Y} {hour:02d}:{local:%M:%S} {meridiem}"


def api_errors(code: str, message: str, *, recoverable: bool, source: str = "Api") -> dict[str, Any]:
    """An ``ApiErrors`` body."""
    return {"errors": [{"code": code, "message": message}], "recoverable": recoverable, "source": source}


@dataclass
class _Account:
    client_id: str
    secret: str = field(repr=False)
    secret_expires_at: datetime
    secondary_secret: str | None = field(default=None, repr=False)
    secondary_expires_at: datetime | None = None
    active: bool = True


@dataclass
class _Configuration:
    subscription_key: str = field(repr=False)
    client_id: str
    dossiers: set[str]
    revoked: bool = False


@dataclass
class _Token:
    client_id: str
    expires_at: float


@dataclass
class _Payroll:
    ruptures: list[dict[str, Any]]
    files: list[tuple[str, bytes]]


@dataclass(frozen=True)
class _DossierRequest:
    dossier: str
    start: datetime
    end: datetime


Operation = Callable[[_Configuration, _DossierRequest | None], Response]


class FakeSilae(FakeServer):
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
        super().__init__(host, port)
        self.scope = scope
        self.clock = clock
        self.token_lifetime_seconds = 3600
        self.dossier_denied_code = CODE_DOSSIER_DENIED
        self.requests: list[Request] = []  # every request received, faults included
        self._state = threading.RLock()
        self._accounts: dict[str, _Account] = {}
        self._configurations: dict[str, _Configuration] = {}
        self._tokens: dict[str, _Token] = {}
        self._payroll: dict[tuple[str, Period], _Payroll] = {}
        # (needs a dossiers header, handler)
        self._operations: dict[str, tuple[bool, Operation]] = {
            "/v1/InfosTechniquesDossiers/ListeNumerosDossiers": (False, self._liste_numeros_dossiers),
            "/v1/EcrituresComptables/EcrituresComptables4": (True, self._ecritures_comptables4),
            "/v1/EcrituresComptables/RecupererFichiersEcrituresComptables": (True, self._fichiers),
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

    # -- admin (Python, not HTTP) ----------------------------------------------------------------
    def add_api_account(
        self,
        client_id: str,
        client_secret: str,
        *,
        secret_expires_at: datetime,
        secondary_secret: str | None = None,
        secondary_expires_at: datetime | None = None,
        active: bool = True,
    ) -> None:
        """Create or replace an API account (Mes comptes API on Silae's portal)."""
        with self._state:
            self._accounts[client_id] = _Account(
                client_id=client_id,
                secret=client_secret,
                secret_expires_at=_aware(secret_expires_at),
                secondary_secret=secondary_secret,
                secondary_expires_at=_aware(secondary_expires_at) if secondary_expires_at else None,
                active=active,
            )

    def deactivate_api_account(self, client_id: str) -> None:
        """Deactivating an account also blocks every access configuration tied to it."""
        with self._state:
            self._accounts[client_id].active = False

    def add_access_configuration(
        self, subscription_key: str, client_id: str, dossiers: Iterable[str]
    ) -> None:
        """An access configuration: its clé de configuration, its API account, the dossiers it may reach."""
        with self._state:
            self._configurations[subscription_key] = _Configuration(
                subscription_key=subscription_key, client_id=client_id, dossiers=set(dossiers)
            )

    def revoke_subscription_key(self, key: str) -> None:
        """Regenerating the key on the portal: the old one stops working at once."""
        with self._state:
            self._configurations[key].revoked = True

    def revoke_tokens(self, client_id: str | None = None) -> None:
        """Forget issued access tokens (all, or one Client ID's) as if they had expired."""
        with self._state:
            for token, issued in list(self._tokens.items()):
                if client_id is None or issued.client_id == client_id:
                    del self._tokens[token]

    def set_payroll(
        self,
        dossier_number: str,
        period: Period,
        groups: Sequence[Mapping[str, Any] | PayrollGroup] = (),
        files: Sequence[tuple[str, bytes]] = (),
    ) -> None:
        """The OD de paie of a dossier and month: raw ``ruptures`` dicts or domain groups, plus files."""
        ruptures = [
            _rupture(group, period) if isinstance(group, PayrollGroup) else copy.deepcopy(dict(group))
            for group in groups
        ]
        with self._state:
            self._payroll[(dossier_number, period)] = _Payroll(ruptures, [(n, bytes(c)) for n, c in files])

    def reset(self) -> None:
        """Back to an empty fake (same port): state, faults, call log, settings."""
        with self._state:
            self._accounts.clear()
            self._configurations.clear()
            self._tokens.clear()
            self._payroll.clear()
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
        except _Answer as answer:
            return answer.response
        with self._state:
            token = secrets.token_urlsafe(32)
            issued = self.clock()
            lifetime = self.token_lifetime_seconds
            self._tokens[token] = _Token(client_id=client_id, expires_at=issued + lifetime)
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
        """The Client ID of a valid client-credentials request; raises _Answer otherwise."""
        content_type = request.header("content-type") or ""
        if not content_type.startswith("application/x-www-form-urlencoded"):
            raise _oauth_error(400, "invalid_request", "The request body must be form-encoded.")
        form = {k: v[-1] for k, v in parse_qs(request.body.decode("utf-8"), keep_blank_values=True).items()}
        if form.get("grant_type") != "client_credentials":
            raise _oauth_error(400, "unsupported_grant_type", "Only client_credentials is supported.")
        client_id, secret = form.get("client_id", ""), form.get("client_secret", "")
        if not client_id or not secret:
            raise _oauth_error(400, "invalid_request", "client_id and client_secret are required.")
        if form.get("scope") != self.scope:
            raise _oauth_error(400, "invalid_scope", "The scope requested is invalid.")
        with self._state:
            account = self._accounts.get(client_id)
            if account is None:
                raise _oauth_error(401, "invalid_client", "The client id is unknown.")
            if not account.active:
                raise _oauth_error(401, "invalid_client", "The API account is deactivated.")
            candidates = [(account.secret, account.secret_expires_at)]
            if account.secondary_secret and account.secondary_expires_at:
                candidates.append((account.secondary_secret, account.secondary_expires_at))
        expiries = [expiry for known, expiry in candidates if secrets.compare_digest(known, secret)]
        if not expiries:
            raise _oauth_error(401, "invalid_client", "The client secret does not match this client.")
        if all(expiry <= self._now() for expiry in expiries):
            raise _oauth_error(401, "invalid_client", "The client secret has expired.")
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
                    raise _Answer(_invalid_key())
                known = self._operations.get(request.path[len(API_PREFIX) :])
                if known is None:
                    raise _Answer(self.not_found(request))
                needs_dossiers, handler = known
                checked = self._check_dossier_request(request, configuration) if needs_dossiers else None
                response = handler(configuration, checked)
        except _Answer as answer:
            response = answer.response
        response.headers.update(warnings)
        return response

    def _check_gateway(self, request: Request) -> _Configuration:
        """API Management checks the subscription key before anything else."""
        key = (request.header("ocp-apim-subscription-key") or "").strip()
        if not key:
            raise _Answer(Response(status=401, body={"statusCode": 401, "message": APIM_MISSING_KEY}))
        configuration = self._configurations.get(key)
        account = self._accounts.get(configuration.client_id) if configuration else None
        if configuration is None or configuration.revoked or account is None or not account.active:
            raise _Answer(_invalid_key())
        return configuration

    def _check_bearer(self, request: Request) -> _Token:
        scheme, _, value = (request.header("authorization") or "").partition(" ")
        token = self._tokens.get(value.strip()) if scheme.lower() == "bearer" else None
        if token is None or self.clock() >= token.expires_at:
            raise _Answer(
                Response(
                    status=401,
                    headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                    body={"statusCode": 401, "message": APIM_INVALID_TOKEN},
                )
            )
        return token

    def _expiry_headers(self, account: _Account) -> dict[str, str]:
        now = self._now()
        headers: dict[str, str] = {}
        for name, expiry in (
            ("X-PrimaryKeyExpirationWarning", account.secret_expires_at),
            ("X-SecondaryKeyExpirationWarning", account.secondary_expires_at),
        ):
            if expiry is not None and expiry - now <= EXPIRY_WARNING_WINDOW:
                headers[name] = format_expiration_warning(expiry)
        return headers

    def _check_dossier_request(self, request: Request, configuration: _Configuration) -> _DossierRequest:
        listed = [part.strip() for part in (request.header("dossiers") or "").split(",") if part.strip()]
        if not listed:
            raise _bad_request(CODE_EMPTY_DOSSIERS, MESSAGE_EMPTY_DOSSIERS)
        try:
            body = request.json()
        except ValueError:
            body = None
        if not isinstance(body, dict):
            raise _bad_request(CODE_INVALID_REQUEST, "Le corps de la requête est invalide.")
        dossier = body.get("numeroDossier")
        if not isinstance(dossier, str) or not dossier.strip():
            raise _bad_request(CODE_INVALID_REQUEST, "Le champ numeroDossier est obligatoire.")
        # The API's own rules on periods are undocumented; the fake requires a well-ordered range.
        start, end = _date_time(body.get("periodeDebut")), _date_time(body.get("periodeFin"))
        if start is None or end is None or start > end:
            raise _bad_request(CODE_INVALID_REQUEST, "Les champs periodeDebut et periodeFin sont invalides.")
        if not isinstance(body.get("avecToutesLesRepartitionsAnalytiques", False), bool):
            raise _bad_request(CODE_INVALID_REQUEST, "avecToutesLesRepartitionsAnalytiques est invalide.")
        # Assumed: the dossier in the body must be one of those announced in the header.
        if dossier not in listed:
            raise _bad_request(
                CODE_DOSSIER_NOT_IN_HEADER, f"Le dossier {dossier} est absent de l'en-tête dossiers."
            )
        for number in listed:
            if number not in configuration.dossiers:
                raise _bad_request(
                    self.dossier_denied_code,
                    f"L'utilisateur de la configuration API n'a pas accès au dossier {number}.",
                )
        return _DossierRequest(dossier=dossier, start=start, end=end)

    # -- operations ------------------------------------------------------------------------------
    def _liste_numeros_dossiers(
        self, configuration: _Configuration, checked: _DossierRequest | None
    ) -> Response:
        return Response(body={"listeNumerosDossiers": sorted(configuration.dossiers)})

    def _stored(self, checked: _DossierRequest) -> list[_Payroll]:
        found, month = [], Period.of(checked.start.date())
        while month <= Period.of(checked.end.date()):
            if (payroll := self._payroll.get((checked.dossier, month))) is not None:
                found.append(payroll)
            month = month.next()
        return found

    def _ecritures_comptables4(
        self, configuration: _Configuration, checked: _DossierRequest | None
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

    def _fichiers(self, configuration: _Configuration, checked: _DossierRequest | None) -> Response:
        fichiers = [
            {"nomFichier": name, "document": base64.b64encode(content).decode("ascii")}
            for payroll in self._stored(_required(checked))
            for name, content in payroll.files
        ]
        return Response(body={"fichiers": fichiers})

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), UTC)


# -- helpers -------------------------------------------------------------------------------------


class _Answer(Exception):  # noqa: N818 - not an error: the answer to send now
    """Carries the response a check decided on, so checks read as a flat list."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def _required(checked: _DossierRequest | None) -> _DossierRequest:
    if checked is None:  # only dossier operations get here, always with a checked request
        raise _bad_request(CODE_INVALID_REQUEST, "Le corps de la requête est invalide.")
    return checked


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=PARIS)


def _oauth_error(status: int, error: str, description: str) -> _Answer:
    return _Answer(Response(status=status, body={"error": error, "error_description": description}))


def _invalid_key() -> Response:
    return Response(status=401, body={"statusCode": 401, "message": APIM_INVALID_KEY})


def _bad_request(code: str, message: str) -> _Answer:
    # recoverable false: the request or the configuration is wrong, retrying cannot help.
    return _Answer(Response(status=400, body=api_errors(code, message, recoverable=False)))


def _date_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _rupture(group: PayrollGroup, period: Period) -> dict[str, Any]:
    """A domain group as Silae would send it (``EcrituresComptablesRupture``)."""
    debit = sum((line.amount for line in group.lines if line.direction.value == "D"), Decimal(0))
    credit = sum((line.amount for line in group.lines if line.direction.value == "C"), Decimal(0))
    return {
        "libelle": group.label,
        "totalDebit": float(group.total_debit if group.total_debit is not None else debit),
        "totalCredit": float(group.total_credit if group.total_credit is not None else credit),
        "ecritures": [
            {
                "codeJournal": group.journal_code or "PAIE",
                "periode": f"{period.first_day.isoformat()}T00:00:00",
                "compte": line.account,
                "libelle": line.label,
                "sens": line.direction.value,
                "valeur": float(line.amount),
                "indexRepartition": 0,
                "pctRepartition": 100.0,
            }
            for line in group.lines
        ],
    }
