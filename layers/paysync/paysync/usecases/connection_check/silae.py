"""The payroll side of the connection test (checks 1 to 6), against Silae.

Silae tokens are fetched fresh, never taken from the container's cache: the point is to prove the
credentials work now.
"""

from __future__ import annotations

from datetime import timedelta

from paysync.domain.diagnoses import diagnosis
from paysync.silae.client import SilaeClient, SilaeCredentials, TokenCache
from paysync.silae.errors import SilaeError, SilaeSubscriptionKeyError, SilaeTransientError
from paysync.usecases.connection_check.report import OUT_OF_TIME, Check, failed, skipped, unavailable
from paysync.usecases.connection_check.trial import PayrollInForce, Side, Trial, one_short_attempt
from paysync.usecases.diagnose import diagnose_silae

EXPIRY_WARNING = timedelta(days=60)


class PayrollChecks(Side):
    def __init__(self, trial: Trial) -> None:
        super().__init__(trial)
        usual = self.s.settings.silae
        self.settings = usual.model_copy(update=one_short_attempt(usual.timeout_seconds))

    def silae(self, payroll: PayrollInForce) -> SilaeClient:
        secret = payroll.secret
        client = SilaeClient(
            SilaeCredentials(secret.client_id, secret.client_secret, secret.subscription_key),
            self.settings,
            token_cache=TokenCache(),
        )
        return self.trial.opened(client)

    def run(self) -> None:
        payroll = self._settings_check()
        self._number_check()
        if payroll is None:
            for check_id in ("payroll_token", "subscription_key", "dossier_access", "secret_expiry"):
                self.add(skipped(check_id, "aucun identifiant de l'API de paie n'est paramétré."))
            return
        client = self.silae(payroll)
        numbers: list[str] | None = None
        if self._token(client, payroll).status != "ok":
            self.add(skipped("subscription_key", "le jeton de l'API de paie n'a pas pu être obtenu."))
        else:
            numbers = self._subscription_key(client, payroll)
        self._access_check(numbers)
        self._secret_expiry(client, payroll)

    def _settings_check(self) -> PayrollInForce | None:
        payroll = self.t.payroll
        if payroll is None:
            self.add(failed("firm_settings", diagnosis("SILAE5")))
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
            self.add(failed("payroll_dossier_number", diagnosis("SILAE4")))
        else:
            self.add(skipped("payroll_dossier_number", "aucun code dossier de paie n'a été fourni."))

    def _access_check(self, numbers: list[str] | None) -> None:
        number = self.t.dossier_number
        if numbers is None:
            self.add(skipped("dossier_access", "la clé de configuration n'a pas pu être vérifiée."))
        elif not number:
            self.add(skipped("dossier_access", "aucun code dossier de paie n'est paramétré."))
        elif number in numbers:
            self.add(
                Check(
                    id="dossier_access",
                    status="ok",
                    message=f"La configuration API a accès au dossier de paie {number}.",
                )
            )
        else:
            self.add(failed("dossier_access", diagnosis("SILAE10", dossier_number=number)))

    def _token(self, client: SilaeClient, payroll: PayrollInForce) -> Check:
        if self.budget.spent:
            return self.add(skipped("payroll_token", OUT_OF_TIME))
        try:
            client.check_token()
        except SilaeTransientError:
            return self.add(failed("payroll_token", unavailable("Silae")))
        except SilaeError as error:
            found = diagnose_silae(
                error, credentials=payroll.info, dossier_level=payroll.level == "dossier", now=self.now
            )
            return self.add(failed("payroll_token", found))
        return self.add(
            Check(
                id="payroll_token",
                status="ok",
                message="Le logiciel de paie a accepté le Client ID et le Client secret.",
            )
        )

    def _subscription_key(self, client: SilaeClient, payroll: PayrollInForce) -> list[str] | None:
        if self.budget.spent:
            self.add(skipped("subscription_key", OUT_OF_TIME))
            return None
        try:
            numbers = client.list_dossier_numbers()
        except SilaeTransientError:
            self.add(failed("subscription_key", unavailable("Silae")))
            return None
        except SilaeSubscriptionKeyError as error:
            if payroll.level == "dossier" and self._firm_credentials_work():
                self.add(
                    failed(
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
                    failed(
                        "subscription_key",
                        diagnose_silae(error, credentials=payroll.info, dossier_level=False, now=self.now),
                    )
                )
            return None
        except SilaeError as error:
            self.add(
                failed(
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
            self.add(failed("secret_expiry", diagnosis("SILAE13", expired_on=day.isoformat()), **details))
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
