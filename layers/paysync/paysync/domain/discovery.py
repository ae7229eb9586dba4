"""Discovery: which MyUnisoft society each Silae payroll dossier is, proposed from what both list.

Pure: the payroll dossiers (Silae ``ListeDossiers``), the firm's societies (MyUnisoft ``GET
/society``) and the dossiers paysync already has come in; proposals go out. Rules, strongest first:

- ``siren``: same SIREN, the first 9 digits of a SIRET or SIREN once spaces are removed (a value
  that is not 9 or 14 digits then carries no SIREN). Several societies with that SIREN (one per
  establishment): the one with the same 14-digit SIRET, else the one with the same name; if neither
  singles one out, ``ambiguous``.
- ``name``: same name once case, accents, punctuation and legal forms (SARL, SAS, EURL…) are set
  aside. A society whose SIREN differs from the dossier's is another company however alike the names
  (a homonym): never a candidate.
- ``ambiguous``: several candidates, all listed, none proposed.
- ``none``: nothing matches, or the societies could not be listed.

Closed payroll dossiers (their ``etatDossier`` is one of the closed states, which Silae does not
document: the caller says which) get no proposal; they are listed apart. Each proposal says which
paysync dossier already holds that pair, and which ones tie the same payroll number to a society
that discovery does not confirm (``conflicts``).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum

from paysync.domain.accounts import normalize_label
from paysync.domain.models import Dossier

# Legal forms set aside when names are compared (INSEE's usual abbreviations, dots removed first:
# "S.A.R.L." is "sarl").
LEGAL_FORMS = frozenset(
    {
        "sa",
        "sas",
        "sasu",
        "sarl",
        "sarlu",
        "eurl",
        "ei",
        "eirl",
        "sci",
        "snc",
        "scs",
        "sca",
        "scp",
        "scm",
        "scop",
        "scea",
        "sccv",
        "earl",
        "gaec",
        "gie",
        "sem",
        "sel",
        "selarl",
        "selas",
        "selasu",
        "selafa",
        "selca",
    }
)

# How sure a proposal is, by the rule that made it.
SIRET_CONFIDENCE = 1.0  # the same establishment
SIREN_AND_NAME_CONFIDENCE = 1.0  # the same company, named alike
SIREN_CONFIDENCE = 0.9  # the same company, named differently
SIREN_BY_NAME_CONFIDENCE = 0.85  # one of several establishments of the company, singled out by name
NAME_CONFIDENCE = 0.7  # named alike; no SIREN on one side to confirm it
NO_CONFIDENCE = 0.0

_SIREN_OR_SIRET = re.compile(r"[0-9]{9}|[0-9]{14}")
_NOT_A_WORD = re.compile(r"[^0-9a-z]+")


def digits_of(identifier: str | None) -> str | None:
    """A SIREN (9 digits) or SIRET (14 digits) without its spaces; None for anything else."""
    digits = "".join((identifier or "").split())
    if not _SIREN_OR_SIRET.fullmatch(digits) or not digits.strip("0"):
        return None
    return digits


def siren_of(identifier: str | None) -> str | None:
    """The SIREN a SIRET or SIREN carries: its first 9 digits."""
    digits = digits_of(identifier)
    return digits[:9] if digits else None


def siret_of(identifier: str | None) -> str | None:
    """The 14-digit SIRET, when the identifier is one (a SIREN alone names no establishment)."""
    digits = digits_of(identifier)
    return digits if digits and len(digits) == 14 else None


def company_name_key(name: str | None) -> str:
    """A company name as compared: no case, accents, punctuation or legal form."""
    text = normalize_label(name or "").replace("&", " et ").replace(".", "")
    words = _NOT_A_WORD.sub(" ", text).split()
    return " ".join(word for word in words if word not in LEGAL_FORMS)


class How(StrEnum):
    SIREN = "siren"
    NAME = "name"
    AMBIGUOUS = "ambiguous"
    NONE = "none"


@dataclass(frozen=True)
class PayrollDossier:
    """A Silae payroll dossier (``ProprietesDossier``)."""

    number: str
    name: str
    siret: str | None = None  # as Silae gives it: a SIRET or a SIREN, spaces and all
    group: str | None = None
    state: int | None = None  # ``etatDossier``

    @property
    def siren(self) -> str | None:
        return siren_of(self.siret)


@dataclass(frozen=True)
class Society:
    """A MyUnisoft society (a row of ``society_array``)."""

    society_id: int
    name: str
    siret: str | None = None  # sometimes the 9-digit SIREN, sometimes the 14-digit SIRET
    folder_reference: str | None = None
    city: str | None = None  # tells homonyms apart, for the people choosing
    postal_code: str | None = None

    @property
    def siren(self) -> str | None:
        return siren_of(self.siret)


@dataclass(frozen=True)
class Candidate:
    """One of several societies a payroll dossier could be (``ambiguous``), by the rule that found it."""

    society: Society
    how: How  # SIREN or NAME
    confidence: float


@dataclass(frozen=True)
class ConfiguredPair:
    """A paysync dossier, by the pair it ties: payroll number and society."""

    dossier_id: str
    society_id: int | None


@dataclass(frozen=True)
class Proposal:
    """What discovery proposes for one open payroll dossier, and the paysync dossiers already tying it."""

    payroll: PayrollDossier
    how: How
    confidence: float
    society: Society | None = None  # set for SIREN and NAME only
    candidates: tuple[Candidate, ...] = ()  # AMBIGUOUS only
    configured_dossier_id: str | None = None  # the paysync dossier that already ties this pair
    conflicts: tuple[ConfiguredPair, ...] = ()  # same payroll number, a society discovery does not confirm


@dataclass(frozen=True)
class ClosedPayrollDossier:
    """A payroll dossier Silae says is closed: no proposal, only the paysync dossiers still tied to it."""

    payroll: PayrollDossier
    configured_dossier_ids: tuple[str, ...] = ()  # paysync dossiers still tied to it


@dataclass(frozen=True)
class Discovery:
    """What discovery found for a firm: its payroll dossiers and societies, a proposal per open dossier."""

    payroll_dossiers: tuple[PayrollDossier, ...]  # open ones, by number
    closed_payroll_dossiers: tuple[ClosedPayrollDossier, ...]
    societies: tuple[Society, ...]  # by id; empty when they could not be listed
    proposals: tuple[Proposal, ...]  # one per open payroll dossier, by number


class SocietyIndex:
    """The firm's societies, looked up by SIREN and by name key."""

    def __init__(self, societies: Iterable[Society]) -> None:
        self.societies = tuple(sorted(societies, key=lambda s: s.society_id))
        self._by_siren: dict[str, list[Society]] = defaultdict(list)
        self._by_name: dict[str, list[Society]] = defaultdict(list)
        for society in self.societies:
            if society.siren:
                self._by_siren[society.siren].append(society)
            if key := company_name_key(society.name):
                self._by_name[key].append(society)

    def match(self, payroll: PayrollDossier) -> Proposal:
        """The proposal for one payroll dossier (pairs already configured not considered)."""
        siren, name = payroll.siren, company_name_key(payroll.name)
        same_siren = self._by_siren.get(siren, []) if siren else []
        if same_siren:
            return self._by_siren_match(payroll, same_siren, name)
        # A society with another SIREN is another company, whatever its name.
        same_name = [s for s in self._by_name.get(name, []) if not (siren and s.siren)] if name else []
        if len(same_name) == 1:
            return Proposal(payroll, How.NAME, NAME_CONFIDENCE, society=same_name[0])
        if same_name:
            candidates = tuple(Candidate(s, How.NAME, NAME_CONFIDENCE) for s in same_name)
            return Proposal(payroll, How.AMBIGUOUS, NO_CONFIDENCE, candidates=candidates)
        return Proposal(payroll, How.NONE, NO_CONFIDENCE)

    @staticmethod
    def _by_siren_match(payroll: PayrollDossier, same_siren: list[Society], name: str) -> Proposal:
        siret = siret_of(payroll.siret)
        named_alike = [s for s in same_siren if name and company_name_key(s.name) == name]
        if len(same_siren) == 1:
            society = same_siren[0]
            exact = siret is not None and siret_of(society.siret) == siret
            if exact:
                confidence = SIRET_CONFIDENCE
            else:
                confidence = SIREN_AND_NAME_CONFIDENCE if named_alike else SIREN_CONFIDENCE
            return Proposal(payroll, How.SIREN, confidence, society=society)
        same_siret = [s for s in same_siren if siret is not None and siret_of(s.siret) == siret]
        if len(same_siret) == 1:
            return Proposal(payroll, How.SIREN, SIRET_CONFIDENCE, society=same_siret[0])
        if len(named_alike) == 1:
            return Proposal(payroll, How.SIREN, SIREN_BY_NAME_CONFIDENCE, society=named_alike[0])
        candidates = tuple(Candidate(s, How.SIREN, SIREN_CONFIDENCE) for s in same_siren)
        return Proposal(payroll, How.AMBIGUOUS, NO_CONFIDENCE, candidates=candidates)


def _with_configuration(proposal: Proposal, configured: Sequence[Dossier]) -> Proposal:
    """The proposal, with the paysync dossiers that tie its payroll number to a society."""
    confirmed = (
        {proposal.society.society_id}
        if proposal.society is not None
        else {c.society.society_id for c in proposal.candidates}
    )
    holding = next((d.dossier_id for d in configured if d.society_id in confirmed), None)
    conflicts = tuple(
        ConfiguredPair(d.dossier_id, d.society_id) for d in configured if d.society_id not in confirmed
    )
    return replace(proposal, configured_dossier_id=holding, conflicts=conflicts)


def discover(
    payroll_dossiers: Iterable[PayrollDossier],
    societies: Iterable[Society] | None,
    configured: Iterable[Dossier],
    *,
    closed_states: Collection[int],
) -> Discovery:
    """Every open payroll dossier's proposal; ``societies`` None: they could not be listed, so
    nothing is proposed and nothing configured is called a conflict."""
    by_number: dict[str, list[Dossier]] = defaultdict(list)
    for dossier in configured:
        if dossier.payroll_dossier_number:
            by_number[dossier.payroll_dossier_number.strip()].append(dossier)
    ordered = sorted(payroll_dossiers, key=lambda p: p.number)
    open_dossiers = tuple(p for p in ordered if p.state not in closed_states)
    closed = tuple(
        ClosedPayrollDossier(p, tuple(d.dossier_id for d in by_number.get(p.number, [])))
        for p in ordered
        if p.state in closed_states
    )
    if societies is None:
        proposals = tuple(Proposal(p, How.NONE, NO_CONFIDENCE) for p in open_dossiers)
        return Discovery(open_dossiers, closed, (), proposals)
    index = SocietyIndex(societies)
    proposals = tuple(_with_configuration(index.match(p), by_number.get(p.number, [])) for p in open_dossiers)
    return Discovery(open_dossiers, closed, index.societies, proposals)
