"""The MyUnisoft side of the connection test (checks 7 to 9): the partner secret, the token and the
OD PAIE journal, from one ``key/info`` call and one list of journals."""

from __future__ import annotations

from typing import NamedTuple

from paysync.domain.diagnoses import diagnosis, from_myunisoft
from paysync.myunisoft.client import MyUnisoftAccess, MyUnisoftClient
from paysync.myunisoft.errors import SECRET_CODES, MyUnisoftError, MyUnisoftTransientError
from paysync.myunisoft.models import KeyInfo
from paysync.usecases.connection_check.report import OUT_OF_TIME, Check, failed, skipped, unavailable
from paysync.usecases.connection_check.trial import Side, Trial, one_short_attempt


class _Probe(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """The answer of ``key/info``: the token's description, or the error that refused it."""

    client: MyUnisoftClient
    info: KeyInfo | None = None
    error: MyUnisoftError | None = None


class MyUnisoftChecks(Side):
    def __init__(self, trial: Trial) -> None:
        super().__init__(trial)
        usual = self.s.settings.myunisoft
        self.settings = usual.model_copy(update=one_short_attempt(usual.timeout_seconds))

    def run(self) -> None:
        partner = self.s.secrets.partner_secret()
        probe = self._key_info(partner)
        secret_ok = self._partner_secret_check(partner, probe)
        token_ok = self._myunisoft_token_check(secret_ok, probe)
        if not token_ok or probe is None:
            self.add(skipped("od_paie_journal", "le jeton MyUnisoft n'a pas été accepté."))
        elif self.t.society_id is None:
            if self.t.society_required:
                self.add(failed("od_paie_journal", diagnosis("MYUNISOFT-SOCIETY-MISSING")))
            else:
                self.add(skipped("od_paie_journal", "aucune société MyUnisoft n'a été fournie."))
        elif self.budget.spent:
            self.add(skipped("od_paie_journal", OUT_OF_TIME))
        else:
            self._journal(probe.client)

    def _key_info(self, partner: str | None) -> _Probe | None:
        """``GET /key/info?mode=extended`` once: it tells about both the secret and the token."""
        t = self.t
        if not partner or not t.myunisoft_token or self.budget.spent:
            return None
        society = t.society_id if t.access_kind == "cabinet" else None
        client = self.trial.opened(
            MyUnisoftClient(
                MyUnisoftAccess(token=t.myunisoft_token, partner_secret=partner, society_id=society),
                self.settings,
            )
        )
        try:
            return _Probe(client=client, info=client.key_info())
        except MyUnisoftError as error:
            return _Probe(client=client, error=error)

    def _partner_secret_check(self, partner: str | None, probe: _Probe | None) -> bool:
        check_id = "myunisoft_partner_secret"
        error = probe.error if probe else None
        if not partner:
            self.add(failed(check_id, diagnosis("PARTNER-SECRET-MISSING")))
        elif not self.t.myunisoft_token:
            self.add(skipped(check_id, "il se vérifie avec un jeton MyUnisoft, et aucun n'est paramétré."))
        elif probe is None:
            self.add(skipped(check_id, OUT_OF_TIME))
        elif isinstance(error, MyUnisoftTransientError):
            self.add(skipped(check_id, "MyUnisoft n'a pas répondu."))
        elif error is not None and error.code in SECRET_CODES:
            self.add(failed(check_id, from_myunisoft(error.code, error.message, error.request_id)))
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
            self.add(failed(check_id, diagnosis("MYUNISOFT-TOKEN-MISSING")))
        elif isinstance(error, MyUnisoftTransientError):
            self.add(failed(check_id, unavailable("MyUnisoft", error.code)))
        elif not secret_ok or probe is None:
            self.add(skipped(check_id, "le secret partenaire n'a pas été accepté."))
        elif error is not None:
            self.add(failed(check_id, from_myunisoft(error.code, error.message, error.request_id)))
        elif probe.info is None:
            self.add(skipped(check_id, OUT_OF_TIME))
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
        return failed(
            "myunisoft_token",
            diagnosis("MYUNISOFT-SOCIETY-MISMATCH", arg=actual),
            token_society_id=actual,
            society_id=expected,
        )

    def _journal(self, client: MyUnisoftClient) -> None:
        try:
            journals = [d for d in client.list_diaries() if d.is_payroll]
        except MyUnisoftTransientError as error:
            self.add(failed("od_paie_journal", unavailable("MyUnisoft", error.code)))
            return
        except MyUnisoftError as error:
            self.add(failed("od_paie_journal", from_myunisoft(error.code, error.message, error.request_id)))
            return
        usable = [d for d in journals if not d.closed and not d.blocked]
        if not journals:
            self.add(failed("od_paie_journal", diagnosis("SILAE6")))
        elif not usable:
            self.add(failed("od_paie_journal", diagnosis("JOURNAL2", journal=journals[0].code)))
        else:
            self.add(
                Check(
                    id="od_paie_journal",
                    status="ok",
                    message=f"Journal d'OD PAIE « {usable[0].code} » trouvé.",
                    details={"diary_id": usable[0].diary_id},
                )
            )
