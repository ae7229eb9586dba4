"""Account matching (seed 004): every account number a payroll line uses, against the dossier's chart.

States, as firm staff know them from the "Liste des Comptes" view:
- Correspondance OK: the number exists in the chart (or was linked to an account that still has it).
- Correspondance OK — code différent: linked earlier; the account still exists but its number changed.
- Pas de correspondance — sans suggestion: absent, and no account bears the same label.
- Pas de correspondance — avec suggestion(s): absent, but accounts with the same label exist.
- Compte supprimé: the account paysync created or linked is gone. Never re-created automatically
  (creation happens once, to avoid duplicates): COMPTE5 until someone recreates it by hand.
Pure: the chart, the recorded links and the dossier's auto-creation setting come in; decisions go out.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Literal, NamedTuple

from paysync.domain.diagnoses import Diagnosis, DiagnosisKind, diagnosis

ACCOUNT_NUMBER_MAX = 20  # COMPTE7


class MatchState(StrEnum):
    OK = "ok"
    OK_DIFFERENT_CODE = "ok_different_code"
    MISSING = "missing"
    MISSING_WITH_SUGGESTIONS = "missing_with_suggestions"
    DELETED = "deleted"

    @property
    def label(self) -> str:
        return _STATE_LABELS[self]


_STATE_LABELS = {
    MatchState.OK: "Correspondance OK",
    MatchState.OK_DIFFERENT_CODE: "Correspondance OK — code différent",
    MatchState.MISSING: "Pas de correspondance — sans suggestion",
    MatchState.MISSING_WITH_SUGGESTIONS: "Pas de correspondance — avec suggestion(s)",
    MatchState.DELETED: "Compte supprimé dans MyUnisoft",
}


class ChartAccount(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """An account of the society's MyUnisoft chart, which payroll account numbers are matched against."""

    account_id: int
    number: str
    label: str


class AccountLink(NamedTuple):  # not a dataclass: cheaper to define at a cold start
    """A payroll account number tied to a MyUnisoft account, recorded once and kept."""

    number: str  # as the payroll software spells it
    account_id: int
    origin: Literal["found", "created", "manual"]


@dataclass(frozen=True)
class AccountMatch:
    """What matching decided for one payroll account number: its state, and to use, create or block it."""

    number: str
    payroll_label: str
    state: MatchState
    action: Literal["use", "create", "block"]
    account: ChartAccount | None = None
    suggestions: tuple[ChartAccount, ...] = ()
    diagnosis: Diagnosis | None = None  # why it is blocked, or a notice for a risky creation
    notices: tuple[Diagnosis, ...] = field(default=())
    relink: bool = False  # the linked account is gone but one with the number exists again


def normalize_label(text: str) -> str:
    """Compare labels without case, accents or extra spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(plain.casefold().split())


def same_number(payroll_number: str, chart_number: str) -> bool:
    """MyUnisoft pads all-digit numbers with zeros (251 → 251000): both spellings are one account."""
    if payroll_number == chart_number:
        return True
    return (
        payroll_number.isdigit()
        and chart_number.isdigit()
        and len(payroll_number) < len(chart_number)
        and chart_number == payroll_number.ljust(len(chart_number), "0")
    )


def invalid_number(number: str) -> bool:
    """What MyUnisoft refuses to create (COMPTE6: first character 1–9; COMPTE7: at most 20 characters)."""
    return not number or number[0] not in "123456789" or len(number) > ACCOUNT_NUMBER_MAX


def missing_account(number: str, suggestions: Sequence[ChartAccount] = ()) -> Diagnosis:
    remedy = "Créez le compte dans MyUnisoft (Paramètres > Tenue > Plan comptable), puis relancez la synchronisation."
    if suggestions:
        names = ", ".join(f"{s.number} {s.label}" for s in suggestions)
        remedy = (
            f"Un compte portant le même intitulé existe ({names}) : liez-le à ce numéro depuis la liste des "
            "comptes du dossier, ou créez le compte dans MyUnisoft (Paramètres > Tenue > Plan comptable), "
            "puis relancez la synchronisation."
        )
    return Diagnosis(
        code="COMPTE2",
        message=f"Le compte suivant n'existe pas dans MyUnisoft : {number}",
        remedy=remedy,
        kind=DiagnosisKind.DATA,
        details={"account": number, "suggestions": [s.number for s in suggestions]},
    )


def deleted_account(number: str, account_id: int) -> Diagnosis:
    return Diagnosis(
        code="COMPTE5",
        message="Le compte n'appartient pas à la société.",
        remedy=(
            f"Le compte {number} lié par paysync a été supprimé dans MyUnisoft et n'est jamais recréé "
            "automatiquement (pour éviter les doublons) : recréez-le à l'identique dans MyUnisoft "
            "(Paramètres > Tenue > Plan comptable), puis relancez la synchronisation."
        ),
        kind=DiagnosisKind.DATA,
        details={"account": number, "account_id": account_id},
    )


def invalid_payroll_account(number: str) -> Diagnosis:
    return diagnosis("COMPTE17", arg=number, account=number)


def duplicate_risk(number: str, suggestions: Sequence[ChartAccount]) -> Diagnosis:
    names = ", ".join(f"{s.number} {s.label}" for s in suggestions)
    return Diagnosis(
        code="COMPTE-CREE-DOUBLON",
        message=f"Le compte {number} a été créé automatiquement alors qu'un compte de même intitulé existait ({names}).",
        remedy="Vérifiez qu'il ne s'agit pas d'un doublon ; au besoin, fusionnez les comptes dans MyUnisoft.",
        kind=DiagnosisKind.DATA,
        details={"account": number, "suggestions": [s.number for s in suggestions]},
    )


def match_account(
    number: str,
    payroll_label: str,
    chart: Sequence[ChartAccount],
    link: AccountLink | None,
    *,
    auto_create: bool,
) -> AccountMatch:
    by_id = {a.account_id: a for a in chart}
    found = next((a for a in chart if a.number == number), None) or next(
        (a for a in chart if same_number(number, a.number)), None
    )
    if link is not None:
        linked = by_id.get(link.account_id)
        if linked is not None:
            state = MatchState.OK if same_number(number, linked.number) else MatchState.OK_DIFFERENT_CODE
            return AccountMatch(number, payroll_label, state, "use", account=linked)
        if found is not None:
            # Deleted, then recreated by hand with the same number (the seed's fix): relink to it.
            return AccountMatch(number, payroll_label, MatchState.OK, "use", account=found, relink=True)
        return AccountMatch(
            number,
            payroll_label,
            MatchState.DELETED,
            "block",
            diagnosis=deleted_account(number, link.account_id),
        )
    if found is not None:
        return AccountMatch(number, payroll_label, MatchState.OK, "use", account=found)
    wanted = normalize_label(payroll_label)
    suggestions = tuple(a for a in chart if wanted and normalize_label(a.label) == wanted)
    state = MatchState.MISSING_WITH_SUGGESTIONS if suggestions else MatchState.MISSING
    if invalid_number(number):
        return AccountMatch(
            number,
            payroll_label,
            state,
            "block",
            suggestions=suggestions,
            diagnosis=invalid_payroll_account(number),
        )
    if auto_create:
        notices = (duplicate_risk(number, suggestions),) if suggestions else ()
        return AccountMatch(number, payroll_label, state, "create", suggestions=suggestions, notices=notices)
    return AccountMatch(
        number,
        payroll_label,
        state,
        "block",
        suggestions=suggestions,
        diagnosis=missing_account(number, suggestions),
    )


def match_accounts(
    used: Mapping[str, str],
    chart: Sequence[ChartAccount],
    links: Mapping[str, AccountLink],
    *,
    auto_create: bool,
) -> dict[str, AccountMatch]:
    """``used``: payroll account number → the payroll label that names it."""
    return {
        number: match_account(number, label, chart, links.get(number), auto_create=auto_create)
        for number, label in sorted(used.items())
    }
