"""Test the connection ("Tester la connexion"), check by check, well under API Gateway's 29 s.

Checks, in order; a check whose premise failed is ``skipped`` (it could not be tried):

1. ``firm_settings``: payroll credentials in force (dossier level, else the firm's) — ``SILAE5``
2. ``payroll_dossier_number``: the Silae code dossier is set — ``SILAE4``
3. ``payroll_token``: Silae issues a token for Client ID + Client secret — ``SILAE15``/``SILAE13``
4. ``subscription_key``: the API gateway accepts the clé de configuration — ``SubscriptionKeyInvalid``;
   refused with a dossier-level override while the firm's credentials work: ``SubscriptionKeyConflict``
   (the seed's conflict: delete the dossier-level settings)
5. ``dossier_access``: the access configuration sees the dossier (``ListeNumerosDossiers``) — ``SILAE10``
6. ``secret_expiry``: expired — ``SILAE13``; within 60 days — ``SECRET-EXPIRES-SOON`` (still ``ok``)
7. ``myunisoft_partner_secret``: the partner's ``X-Third-Party-Secret`` — ``ERR-INVALID-SECRET``, …
8. ``myunisoft_token``: ``GET /key/info?mode=extended`` (which also activates a new key) —
   ``ERR-API-TOKEN-NOT-FOUND``, …
9. ``od_paie_journal``: the dossier has a usable OD PAIE journal — ``SILAE6``/``JOURNAL2``

Every HTTP call gets a short timeout and a single attempt, and no call starts once the time budget
is spent (the remaining checks are skipped and say so). Silae tokens are fetched fresh, never taken
from the container's cache: the point is to prove the credentials work now.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, Literal

from paysync.domain.access import Principal
from paysync.domain.diagnoses import Diagnosis, diagnosis, from_myunisoft
from paysync.domain.models import Dossier, Firm, PayrollCredentialsInfo, mask
from paysync.myunisoft.client import MyUnisoftAccess, MyUnisoftClient
from paysync.myunisoft.errors import SECRET_CODES, MyUnisoftError, MyUnisoftTransientError
from paysync.myunisoft.models import KeyInfo
from paysync.observability import logger
from paysync.silae.client import SilaeClient, SilaeCredentials, TokenCache
from paysync.silae.errors import SilaeError, SilaeSubscriptionKeyError, SilaeTransientError
from paysync.storage.secrets import Level, PayrollSecret
from paysync.usecases.diagnose import diagnose_silae
from paysync.usecases.services import Services
from paysync.usecases.settings import check_firm_access, dossier_with_firm
from paysync.usecases.sync_dossier import OD_PAIE

CHECK_TIMEOUT_SECONDS = 4.0
BUDGET_SECONDS = 18.0  # + one last call's timeout: the answer leaves well before 29 s
EXPIRY_WARNING = timedelta(days=60)

LABELS: dict[str, str] = {
    "firm_settings": "Paramétrage de la paie (cabinet ou dossier)",
    "payroll_dossier_number": "Code dossier de paie",
    "payroll_token": "Jeton de l'API de paie (Client ID et Client secret)",
    "subscription_key": "Clé de configuration",
    "dossier_access": "Accès au dossier de paie",
    "secret_expiry": "Expiration du Client secret",
    "myunisoft_partner_secret": "Secret partenaire MyUnisoft",
    "myunisoft_token": "Jeton d'API MyUnisoft",
    "od_paie_journal": "Journal d'OD PAIE",
}

Status = Literal["ok", "failed", "skipped"]


@dataclass(frozen=True)
class Check:
    id: str
    status: Status
    message: str
    code: str | None = None
    remedy: str | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def label(self) -> str:
        return LABELS[self.id]


@dataclass(frozen=True)
class _Probe:
    """The answer of ``key/info``: the token's description, or the error that refused it."""

    client: MyUnisoftClient
    info: KeyInfo | None = None
    error: MyUnisoftError | None = None


@dataclass(frozen=True)
class PayrollInForce:
    level: Level
    owner_id: str
    secret: PayrollSecret
    info: PayrollCredentialsInfo
    saved: bool  # False: candidate credentials, not stored (nothing is recorded about them)


@dataclass
class Target:
    """What to test: saved settings, candidate ones, or both."""

    firm_id: str
    dossier_id: str | None
    payroll: PayrollInForce | None
    firm_payroll: PayrollInForce | None  # the firm's, to tell the seed's conflict from a wrong key
    dossier_number: str | None
    number_required: bool
    myunisoft_token: str | None
    access_kind: Literal["cabinet", "societe"] | None  # which MyUnisoft token
    society_id: int | None
    society_required: bool


@dataclass(frozen=True)
class Report:
    firm_id: str
    dossier_id: str | None
    checks: list[Check]

    @property
    def ok(self) -> bool:
        return all(c.status == "ok" for c in self.checks)


class _Budget:
    def __init__(self, seconds: float, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._end = clock() + seconds

    @property
    def spent(self) -> bool:
        return self._clock() >= self._end


def _failed(check_id: str, found: Diagnosis, message: str | None = None, **details: Any) -> Check:
    return Check(
        id=check_id,
        status="failed",
        code=found.code,
        message=message or found.message,
        remedy=found.remedy,
        details={**found.details, **details},
    )


def _unavailable(service: str, code: str | None = None) -> Diagnosis:
    """A service that did not answer (in time): nothing is wrong with the settings, as far as known."""
    details = {"service": service, **({"error_code": code} if code else {})}
    return diagnosis("TRANSIENT-EXHAUSTED", **details)


def _skipped(check_id: str, why: str) -> Check:
    return Check(id=check_id, status="skipped", message=f"Non vérifié : {why}")


_OUT_OF_TIME = "le temps imparti au test est écoulé (les services ont répondu trop lentement)."


class _Tester:
    def __init__(self, services: Services, target: Target, budget: _Budget) -> None:
        self.s = services
        self.t = target
        self.budget = budget
        self.now = services.clock()
        self.checks: list[Check] = []
        self.silae_settings = services.settings.silae.model_copy(
            update={
                "timeout_seconds": min(services.settings.silae.timeout_seconds, CHECK_TIMEOUT_SECONDS),
                "max_attempts": 1,
            }
        )
        self.myunisoft_settings = services.settings.myunisoft.model_copy(
            update={
                "timeout_seconds": min(services.settings.myunisoft.timeout_seconds, CHECK_TIMEOUT_SECONDS),
                "max_attempts": 1,
            }
        )
        self._clients: list[SilaeClient | MyUnisoftClient] = []

    def add(self, check: Check) -> Check:
        self.checks.append(check)
        return check

    def silae(self, payroll: PayrollInForce) -> SilaeClient:
        secret = payroll.secret
        client = SilaeClient(
            SilaeCredentials(secret.client_id, secret.client_secret, secret.subscription_key),
            self.silae_settings,
            token_cache=TokenCache(),
        )
        self._clients.append(client)
        return client

    def close(self) -> None:
        for client in self._clients:
            client.close()

    # -- payroll side ------------------------------------------------------------------------------
    def run(self) -> list[Check]:
        try:
            self._payroll_side()
            self._myunisoft_side()
        finally:
            self.close()
        return self.checks

    def _payroll_side(self) -> None:
        payroll = self._settings_check()
        self._number_check()
        if payroll is None:
            for check_id in ("payroll_token", "subscription_key", "dossier_access", "secret_expiry"):
                self.add(_skipped(check_id, "aucun identifiant de l'API de paie n'est paramétré."))
            return
        client = self.silae(payroll)
        numbers: list[str] | None = None
        if self._token(client, payroll).status != "ok":
            self.add(_skipped("subscription_key", "le jeton de l'API de paie n'a pas pu être obtenu."))
        else:
            numbers = self._subscription_key(client, payroll)
        self._access_check(numbers)
        self._secret_expiry(client, payroll)

    def _settings_check(self) -> PayrollInForce | None:
        payroll = self.t.payroll
        if payroll is None:
            self.add(_failed("firm_settings", diagnosis("SILAE5")))
            return None
        where = "du dossier" if payroll.level == "dossier" else "du cabinet"
        self.add(
            Check(
                id="firm_settings",
                status="ok",
                message=f"Identifiants de l'API de paie {where} présents (Client ID {payroll.info.client_id_masked}).",
                details={"level": payroll.level, "saved": payroll.saved},
            )
        )
        return payroll

    def _number_check(self) -> None:
        number = self.t.dossier_number
        if number:
            self.add(
                Check(id="payroll_dossier_number", status="ok", message=f"Code dossier de paie : {number}.")
            )
        elif self.t.number_required:
            self.add(_failed("payroll_dossier_number", diagnosis("SILAE4")))
        else:
            self.add(_skipped("payroll_dossier_number", "aucun code dossier de paie n'a été fourni."))

    def _access_check(self, numbers: list[str] | None) -> None:
        number = self.t.dossier_number
        if numbers is None:
            self.add(_skipped("dossier_access", "la clé de configuration n'a pas pu être vérifiée."))
        elif not number:
            self.add(_skipped("dossier_access", "aucun code dossier de paie n'est paramétré."))
        elif number in numbers:
            self.add(
                Check(
                    id="dossier_access",
                    status="ok",
                    message=f"La configuration API a accès au dossier de paie {number}.",
                )
            )
        else:
            self.add(_failed("dossier_access", diagnosis("SILAE10", dossier_number=number)))

    def _token(self, client: SilaeClient, payroll: PayrollInForce) -> Check:
        if self.budget.spent:
            return self.add(_skipped("payroll_token", _OUT_OF_TIME))
        try:
            client.check_token()
        except SilaeTransientError:
            return self.add(_failed("payroll_token", _unavailable("Silae")))
        except SilaeError as error:
            found = diagnose_silae(
                error, credentials=payroll.info, dossier_level=payroll.level == "dossier", now=self.now
            )
            return self.add(_failed("payroll_token", found))
        return self.add(
            Check(
                id="payroll_token",
                status="ok",
                message="Le logiciel de paie a accepté le Client ID et le Client secret.",
            )
        )

    def _subscription_key(self, client: SilaeClient, payroll: PayrollInForce) -> list[str] | None:
        if self.budget.spent:
            self.add(_skipped("subscription_key", _OUT_OF_TIME))
            return None
        try:
            numbers = client.list_dossier_numbers()
        except SilaeTransientError:
            self.add(_failed("subscription_key", _unavailable("Silae")))
            return None
        except SilaeSubscriptionKeyError as error:
            if payroll.level == "dossier" and self._firm_credentials_work():
                self.add(
                    _failed(
                        "subscription_key",
                        diagnosis("SubscriptionKeyConflict"),
                        "La clé de configuration du paramétrage dossier est refusée alors que le paramétrage du "
                        "cabinet fonctionne : c'est le conflit entre paramétrage dossier et paramétrage cabinet "
                        "(« SubscriptionKeyInvalid »). Supprimez les identifiants de paie saisis sur le dossier.",
                        delete_with=f"DELETE /dossiers/{self.t.dossier_id}/payroll-credentials",
                    )
                )
            else:
                self.add(
                    _failed(
                        "subscription_key",
                        diagnose_silae(error, credentials=payroll.info, dossier_level=False, now=self.now),
                    )
                )
            return None
        except SilaeError as error:
            self.add(
                _failed(
                    "subscription_key",
                    diagnose_silae(error, credentials=payroll.info, dossier_level=False, now=self.now),
                )
            )
            return None
        self.add(
            Check(
                id="subscription_key",
                status="ok",
                message="La clé de configuration est acceptée.",
                details={"dossiers_visible": len(numbers)},
            )
        )
        return numbers

    def _firm_credentials_work(self) -> bool:
        firm = self.t.firm_payroll
        if firm is None or self.budget.spent:
            return False
        client = self.silae(firm)
        try:
            client.check_token()
            client.list_dossier_numbers()
        except SilaeError:
            return False
        return True

    def _secret_expiry(self, client: SilaeClient, payroll: PayrollInForce) -> None:
        learned = client.key_expiry
        if learned is not None and payroll.saved:
            self.s.config.record_secret_expiry(
                payroll.level, payroll.owner_id, learned, generated_on=payroll.info.secret_generated_on
            )
        expires = learned or payroll.info.expires_at
        source = (
            "silae"
            if learned is not None
            else ("silae" if payroll.info.secret_expires_at else "generation_date")
        )
        day = expires.date()
        details = {"expires_on": day.isoformat(), "source": source}
        if expires <= self.now:
            self.add(_failed("secret_expiry", diagnosis("SILAE13", expired_on=day.isoformat()), **details))
            return
        left = expires - self.now
        if left <= EXPIRY_WARNING:
            days = max(left.days, 0)
            soon = diagnosis("SECRET-EXPIRES-SOON", arg=days)
            self.add(
                Check(
                    id="secret_expiry",
                    status="ok",
                    code=soon.code,
                    message=f"{soon.message[:-1]} (le {day.strftime('%d/%m/%Y')}).",
                    remedy=soon.remedy,
                    details={**details, "days_left": days},
                )
            )
            return
        self.add(
            Check(
                id="secret_expiry",
                status="ok",
                message=f"Le Client secret est valable jusqu'au {day.strftime('%d/%m/%Y')}.",
                details={**details, "days_left": left.days},
            )
        )

    # -- MyUnisoft side ----------------------------------------------------------------------------
    def _myunisoft_side(self) -> None:
        partner = self.s.secrets.partner_secret()
        probe = self._key_info(partner)
        secret_ok = self._partner_secret_check(partner, probe)
        token_ok = self._myunisoft_token_check(secret_ok, probe)
        if not token_ok or probe is None:
            self.add(_skipped("od_paie_journal", "le jeton MyUnisoft n'a pas été accepté."))
        elif self.t.society_id is None:
            if self.t.society_required:
                self.add(_failed("od_paie_journal", diagnosis("MYUNISOFT-SOCIETY-MISSING")))
            else:
                self.add(_skipped("od_paie_journal", "aucune société MyUnisoft n'a été fournie."))
        elif self.budget.spent:
            self.add(_skipped("od_paie_journal", _OUT_OF_TIME))
        else:
            self._journal(probe.client)

    def _key_info(self, partner: str | None) -> _Probe | None:
        """``GET /key/info?mode=extended`` once: it tells about both the secret and the token."""
        t = self.t
        if not partner or not t.myunisoft_token or self.budget.spent:
            return None
        society = t.society_id if t.access_kind == "cabinet" else None
        client = MyUnisoftClient(
            MyUnisoftAccess(token=t.myunisoft_token, partner_secret=partner, society_id=society),
            self.myunisoft_settings,
        )
        self._clients.append(client)
        try:
            return _Probe(client=client, info=client.key_info())
        except MyUnisoftError as error:
            return _Probe(client=client, error=error)

    def _partner_secret_check(self, partner: str | None, probe: _Probe | None) -> bool:
        check_id = "myunisoft_partner_secret"
        error = probe.error if probe else None
        if not partner:
            self.add(_failed(check_id, diagnosis("PARTNER-SECRET-MISSING")))
        elif not self.t.myunisoft_token:
            self.add(_skipped(check_id, "il se vérifie avec un jeton MyUnisoft, et aucun n'est paramétré."))
        elif probe is None:
            self.add(_skipped(check_id, _OUT_OF_TIME))
        elif isinstance(error, MyUnisoftTransientError):
            self.add(_skipped(check_id, "MyUnisoft n'a pas répondu."))
        elif error is not None and error.code in SECRET_CODES:
            self.add(_failed(check_id, from_myunisoft(error.code, error.message, error.request_id)))
        else:
            self.add(
                Check(
                    id=check_id, status="ok", message="MyUnisoft reconnaît le secret partenaire de paysync."
                )
            )
            return True
        return False

    def _myunisoft_token_check(self, secret_ok: bool, probe: _Probe | None) -> bool:
        check_id = "myunisoft_token"
        error = probe.error if probe else None
        if not self.t.myunisoft_token:
            self.add(_failed(check_id, diagnosis("MYUNISOFT-TOKEN-MISSING")))
        elif isinstance(error, MyUnisoftTransientError):
            self.add(_failed(check_id, _unavailable("MyUnisoft", error.code)))
        elif not secret_ok or probe is None:
            self.add(_skipped(check_id, "le secret partenaire n'a pas été accepté."))
        elif error is not None:
            self.add(_failed(check_id, from_myunisoft(error.code, error.message, error.request_id)))
        elif probe.info is None:
            self.add(_skipped(check_id, _OUT_OF_TIME))
        elif (mismatch := self._society_mismatch(probe.info)) is not None:
            self.add(mismatch)
        else:
            info = probe.info
            kind = "cabinet" if info.is_cabinet else "société"
            self.add(
                Check(
                    id=check_id,
                    status="ok",
                    message=f"Jeton {kind} MyUnisoft reconnu et activé.",
                    details={
                        "token_type": info.token_type,
                        "activated": bool(info.is_activated),
                        "request_id": probe.client.last_request_id,
                    },
                )
            )
            return True
        return False

    def _society_mismatch(self, info: KeyInfo) -> Check | None:
        """A société token must be the dossier's own society's."""
        expected, actual = self.t.society_id, info.target.society_id
        if self.t.access_kind != "societe" or expected is None or actual is None or actual == expected:
            return None
        return _failed(
            "myunisoft_token",
            diagnosis("MYUNISOFT-SOCIETY-MISMATCH", arg=actual),
            token_society_id=actual,
            society_id=expected,
        )

    def _journal(self, client: MyUnisoftClient) -> None:
        try:
            journals = [d for d in client.list_diaries() if d.diary_type_code == OD_PAIE]
        except MyUnisoftTransientError as error:
            self.add(_failed("od_paie_journal", _unavailable("MyUnisoft", error.code)))
            return
        except MyUnisoftError as error:
            self.add(_failed("od_paie_journal", from_myunisoft(error.code, error.message, error.request_id)))
            return
        usable = [d for d in journals if not d.closed and not d.blocked]
        if not journals:
            self.add(_failed("od_paie_journal", diagnosis("SILAE6")))
        elif not usable:
            self.add(_failed("od_paie_journal", diagnosis("JOURNAL2", journal=journals[0].code)))
        else:
            self.add(
                Check(
                    id="od_paie_journal",
                    status="ok",
                    message=f"Journal d'OD PAIE « {usable[0].code} » trouvé.",
                    details={"diary_id": usable[0].diary_id},
                )
            )


def _saved_payroll(
    services: Services, level: Level, owner_id: str, info: PayrollCredentialsInfo | None
) -> PayrollInForce | None:
    if info is None:
        return None
    secret = services.secrets.payroll(level, owner_id)
    if secret is None:
        return None
    return PayrollInForce(level=level, owner_id=owner_id, secret=secret, info=info, saved=True)


def _run(services: Services, target: Target) -> Report:
    checks = _Tester(services, target, _Budget(BUDGET_SECONDS)).run()
    report = Report(firm_id=target.firm_id, dossier_id=target.dossier_id, checks=checks)
    logger.info(
        "connection tested",
        extra={
            "firm_id": target.firm_id,
            "dossier_id": target.dossier_id,
            "checks": {c.id: c.status for c in checks},
            "codes": [c.code for c in checks if c.code],
        },
    )
    return report


def check_saved_dossier(services: Services, principal: Principal, dossier_id: str) -> Report:
    """Test a saved dossier's settings as the nightly pull would use them."""
    dossier, firm = dossier_with_firm(services, principal, dossier_id)
    firm_payroll = _saved_payroll(services, "firm", dossier.firm_id, firm.payroll if firm else None)
    payroll = firm_payroll
    if dossier.payroll_override is not None:
        payroll = _saved_payroll(services, "dossier", dossier.dossier_id, dossier.payroll_override)
    return _run(services, _dossier_target(services, dossier, firm, payroll, firm_payroll))


def _dossier_target(
    services: Services,
    dossier: Dossier,
    firm: Firm | None,
    payroll: PayrollInForce | None,
    firm_payroll: PayrollInForce | None,
) -> Target:
    token: str | None = None
    kind: Literal["cabinet", "societe"] | None = None
    if dossier.has_societe_token:
        token, kind = services.secrets.myunisoft_token("dossier", dossier.dossier_id), "societe"
    elif firm is not None and firm.has_cabinet_token:
        token, kind = services.secrets.myunisoft_token("firm", firm.firm_id), "cabinet"
    return Target(
        firm_id=dossier.firm_id,
        dossier_id=dossier.dossier_id,
        payroll=payroll,
        firm_payroll=firm_payroll,
        dossier_number=dossier.payroll_dossier_number,
        number_required=True,
        myunisoft_token=token,
        access_kind=kind if token else None,
        society_id=dossier.society_id,
        society_required=True,
    )


@dataclass(frozen=True)
class Candidate:
    """Firm credentials to try before saving them. Left out: the saved firm's are used."""

    payroll: PayrollSecret | None = None
    secret_generated_on: date | None = None
    myunisoft_token: str | None = None
    dossier_number: str | None = None
    society_id: int | None = None


def check_candidate(services: Services, principal: Principal, firm_id: str, candidate: Candidate) -> Report:
    """Test firm-level credentials before they are saved (the firm itself need not exist yet)."""
    check_firm_access(principal, firm_id)
    firm = services.config.get_firm(firm_id)
    payroll: PayrollInForce | None
    if candidate.payroll is not None and candidate.secret_generated_on is not None:
        info = PayrollCredentialsInfo(
            client_id_masked=mask(candidate.payroll.client_id),
            secret_generated_on=candidate.secret_generated_on,
        )
        payroll = PayrollInForce("firm", firm_id, candidate.payroll, info, saved=False)
    else:
        payroll = _saved_payroll(services, "firm", firm_id, firm.payroll if firm else None)
    token = candidate.myunisoft_token
    if token is None and firm is not None and firm.has_cabinet_token:
        token = services.secrets.myunisoft_token("firm", firm_id)
    target = Target(
        firm_id=firm_id,
        dossier_id=None,
        payroll=payroll,
        firm_payroll=None,
        dossier_number=candidate.dossier_number,
        number_required=False,
        myunisoft_token=token,
        access_kind="cabinet" if token else None,
        society_id=candidate.society_id,
        society_required=False,
    )
    return _run(services, target)
