"""Silae wire formats: request bodies out, domain objects in.

Pure functions, no I/O: the client calls them, tests call them directly.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from paysync.domain.payroll import Direction, PayrollFile, PayrollGroup, PayrollLine
from paysync.domain.periods import Period
from paysync.silae.errors import SilaeResponseError

if TYPE_CHECKING:
    from paysync.domain.discovery import PayrollDossier

CENT = Decimal("0.01")


def period_bounds(period: Period) -> dict[str, str]:
    """``periodeDebut``/``periodeFin`` of a calendar month, as the API's naive ISO date-times."""
    return {
        "periodeDebut": f"{period.first_day.isoformat()}T00:00:00",
        "periodeFin": f"{period.last_day.isoformat()}T00:00:00",
    }


def entries_request(dossier_number: str, period: Period) -> dict[str, Any]:
    """Body of ``EcrituresComptables4`` (definition ``EcrituresComptables4Request``)."""
    return {
        "numeroDossier": dossier_number,
        **period_bounds(period),
        "avecToutesLesRepartitionsAnalytiques": False,
    }


def files_request(dossier_number: str, period: Period) -> dict[str, Any]:
    """Body of ``RecupererFichiersEcrituresComptables`` (definition ``DossierPeriodeRangeRequest``)."""
    return {"numeroDossier": dossier_number, **period_bounds(period)}


def to_amount(value: object) -> Decimal:
    """A JSON number as a 2-decimal Decimal; ``str()`` first so 0.1 stays 0.1, not its binary float."""
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise SilaeResponseError(f"Silae answered a non-numeric amount: {value!r}", status=200)
    try:
        amount = Decimal(str(value))
    except InvalidOperation:
        raise SilaeResponseError(f"Silae answered a non-numeric amount: {value!r}", status=200) from None
    if not amount.is_finite():
        raise SilaeResponseError(f"Silae answered a non-finite amount: {value!r}", status=200)
    return amount.quantize(CENT, rounding=ROUND_HALF_EVEN)


def _direction(value: object) -> Direction:
    text = str(value or "").strip().upper()
    if text.startswith("D"):
        return Direction.DEBIT
    if text.startswith("C"):
        return Direction.CREDIT
    raise SilaeResponseError(f"Silae answered an unknown sens {value!r} (expected D or C)", status=200)


def _flip(direction: Direction) -> Direction:
    return Direction.CREDIT if direction is Direction.DEBIT else Direction.DEBIT


def _text(value: object) -> str:
    return "" if value is None else str(value).strip()


def _list(payload: Mapping[str, Any], key: str) -> list[Any]:
    value = payload.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise SilaeResponseError(f"Silae answered {key!r} that is not a list", status=200)
    return value


def _object(payload: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(payload, Mapping):
        raise SilaeResponseError(f"Silae answered {what} that is not a JSON object", status=200)
    return payload


def parse_line(raw: Any) -> PayrollLine | None:
    """One ``EcrituresComptablesLigneRupture``; None for a zero line (nothing to post)."""
    line = _object(raw, "an ecriture")
    amount = to_amount(line.get("valeur") or 0)
    if amount == 0:
        return None
    direction = _direction(line.get("sens"))
    if amount < 0:
        # Silae documents positive amounts; a negative one is the same movement on the other side.
        direction, amount = _flip(direction), -amount
    return PayrollLine(
        account=_text(line.get("compte")),
        label=_text(line.get("libelle")),
        direction=direction,
        amount=amount,
    )


def parse_group(raw: Any) -> PayrollGroup:
    """One ``EcrituresComptablesRupture``."""
    rupture = _object(raw, "a rupture")
    raw_lines = _list(rupture, "ecritures")
    lines = tuple(line for line in map(parse_line, raw_lines) if line is not None)
    journal_codes = [_text(_object(item, "an ecriture").get("codeJournal")) for item in raw_lines]
    total_debit, total_credit = rupture.get("totalDebit"), rupture.get("totalCredit")
    return PayrollGroup(
        label=_text(rupture.get("libelle")),
        lines=lines,
        total_debit=None if total_debit is None else to_amount(total_debit),
        total_credit=None if total_credit is None else to_amount(total_credit),
        journal_code=next((code for code in journal_codes if code), None),
    )


def parse_groups(payload: Any) -> list[PayrollGroup]:
    """``EcrituresComptablesAvecRuptures`` → groups; a rupture left without any line is dropped."""
    groups = [parse_group(item) for item in _list(_object(payload, "the entries"), "ruptures")]
    return [group for group in groups if group.lines]


def parse_files(payload: Any) -> list[PayrollFile]:
    """``RecupererFichiersEcrituresComptablesResponse`` → files, ``document`` base64-decoded."""
    files: list[PayrollFile] = []
    for index, item in enumerate(_list(_object(payload, "the files"), "fichiers"), start=1):
        fichier = _object(item, "a fichier")
        name = _text(fichier.get("nomFichier")) or f"document-{index}"
        document = fichier.get("document") or ""
        if not isinstance(document, str):
            raise SilaeResponseError(f"Silae answered a non-text document for {name!r}", status=200)
        try:
            content = base64.b64decode(document, validate=True)
        except (binascii.Error, ValueError):
            raise SilaeResponseError(f"Silae answered invalid base64 for {name!r}", status=200) from None
        files.append(PayrollFile(name=name, content=content))
    return files


def parse_dossier_numbers(payload: Any) -> list[str]:
    """``ListeNumerosDossiersResponse`` → dossier numbers, as strings."""
    return [_text(number) for number in _list(_object(payload, "the dossiers"), "listeNumerosDossiers")]


def dossiers_request() -> dict[str, Any]:
    """Body of ``ListeDossiers`` (definition ``ListeDossiersRequest``): its two filters
    (``typeDossiers``, ``etatDossier``) are optional and their values undocumented, so none is sent
    and the states are read from the answer."""
    return {}


def _state(value: object) -> int | None:
    if isinstance(value, bool) or value is None:
        return None
    try:
        return int(str(value).strip())
    except ValueError:
        return None


def parse_dossiers(payload: Any) -> list[PayrollDossier]:
    """``ListeDossiersResponse`` → payroll dossiers (``ProprietesDossier``); a row without a number
    cannot be tied to anything and is left out."""
    # Imported here: the discovery's domain, which the syncs and connection tests do not load.
    from paysync.domain.discovery import PayrollDossier

    dossiers: list[PayrollDossier] = []
    for item in _list(_object(payload, "the dossiers"), "listeDossiers"):
        row = _object(item, "a dossier")
        number = _text(row.get("numero"))
        if not number:
            continue
        dossiers.append(
            PayrollDossier(
                number=number,
                name=_text(row.get("raisonSociale")),
                siret=_text(row.get("siret")) or None,
                group=_text(row.get("groupe")) or None,
                state=_state(row.get("etatDossier")),
            )
        )
    return dossiers


def parse_open_period(payload: Any) -> Period | None:
    """``DossierRecupererPeriodeEnCoursResponse``: ``periodeEnCours``, a date-time within the open
    month (its first day, as far as examples show); None when absent or unreadable."""
    value = _object(payload, "DossierRecupererPeriodeEnCours").get("periodeEnCours")
    if not isinstance(value, str) or len(value) < 7:
        return None
    try:
        return Period.parse(value[:7])
    except ValueError:
        return None
