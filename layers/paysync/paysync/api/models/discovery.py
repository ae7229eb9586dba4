"""What ``POST /firms/{firm_id}/discovery`` answers: both sides' listings, one proposal per open payroll
dossier, and each side's diagnoses. Read from ``paysync.usecases.discovery.DiscoveryReport``; no field
can carry a secret."""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from pydantic import Field

from paysync.api.models.common import DiagnosisView, ViewModel, view_of

if TYPE_CHECKING:
    from paysync.domain.discovery import ClosedPayrollDossier, PayrollDossier, Proposal, Society
    from paysync.usecases.discovery import DiscoveryReport


class PayrollDossierView(ViewModel):
    number: str = Field(description="The Silae dossier number (`payroll_dossier_number` of a dossier).")
    name: str = Field(description="`raisonSociale` in Silae.")
    siret: str | None = Field(description="As Silae gives it (a SIRET or a SIREN, spaces and all).")
    siren: str | None = Field(description="The first 9 digits of the SIRET or SIREN, spaces removed.")
    group: str | None
    state: int | None = Field(description="`etatDossier` in Silae.")

    @classmethod
    def of(cls, payroll: PayrollDossier) -> PayrollDossierView:
        return cls.model_validate(payroll)


class ClosedPayrollDossierView(PayrollDossierView):
    configured_dossier_ids: list[str] = Field(description="paysync dossiers still tied to this number.")

    @classmethod
    def of_closed(cls, closed: ClosedPayrollDossier) -> ClosedPayrollDossierView:
        return view_of(cls, closed.payroll, configured_dossier_ids=list(closed.configured_dossier_ids))


class SocietyView(ViewModel):
    society_id: int = Field(description="The MyUnisoft society id (`society_id` of a dossier).")
    name: str
    siret: str | None = Field(description="As MyUnisoft gives it: sometimes the SIREN, sometimes the SIRET.")
    siren: str | None
    folder_reference: str | None
    city: str | None
    postal_code: str | None

    @classmethod
    def of(cls, society: Society) -> SocietyView:
        return cls.model_validate(society)


class CandidateView(ViewModel):
    society_id: int
    society_name: str
    city: str | None
    how: Literal["siren", "name"]
    confidence: float


class ConflictView(ViewModel):
    dossier_id: str
    society_id: int | None


class ProposalView(ViewModel):
    payroll_dossier_number: str
    payroll_name: str
    society_id: int | None = Field(description="The society proposed (`siren` and `name` only).")
    society_name: str | None
    how: Literal["siren", "name", "ambiguous", "none"]
    confidence: float = Field(ge=0, le=1)
    candidates: list[CandidateView] = Field(description="`ambiguous` only: every candidate society.")
    configured_dossier_id: str | None = Field(description="The paysync dossier that already ties this pair.")
    conflicts: list[ConflictView] = Field(
        description="paysync dossiers tying this payroll number to a society discovery does not confirm."
    )

    @classmethod
    def of(cls, proposal: Proposal) -> ProposalView:
        society = proposal.society
        return view_of(
            cls,
            proposal,
            payroll_dossier_number=proposal.payroll.number,
            payroll_name=proposal.payroll.name,
            society_id=society.society_id if society else None,
            society_name=society.name if society else None,
            how=proposal.how.value,
            candidates=[
                view_of(
                    CandidateView,
                    c,
                    society_id=c.society.society_id,
                    society_name=c.society.name,
                    city=c.society.city,
                    how=c.how.value,
                )
                for c in proposal.candidates
            ],
            conflicts=[ConflictView.model_validate(c) for c in proposal.conflicts],
        )


class DiscoveryDiagnoses(ViewModel):
    payroll: list[DiagnosisView] = Field(description="Why Silae's dossiers could not be (fully) listed.")
    myunisoft: list[DiagnosisView] = Field(
        description="Why MyUnisoft's societies could not be (fully) listed."
    )


class DiscoveryView(ViewModel):
    firm_id: str
    payroll_dossiers: list[PayrollDossierView] = Field(description="Open payroll dossiers, by number.")
    closed_payroll_dossiers: list[ClosedPayrollDossierView]
    societies: list[SocietyView]
    proposals: list[ProposalView] = Field(description="One per open payroll dossier, by number.")
    diagnoses: DiscoveryDiagnoses

    @classmethod
    def of(cls, report: DiscoveryReport) -> DiscoveryView:
        found = report.discovery
        return cls(
            firm_id=report.firm_id,
            payroll_dossiers=[PayrollDossierView.of(p) for p in found.payroll_dossiers],
            closed_payroll_dossiers=[
                ClosedPayrollDossierView.of_closed(c) for c in found.closed_payroll_dossiers
            ],
            societies=[SocietyView.of(s) for s in found.societies],
            proposals=[ProposalView.of(p) for p in found.proposals],
            diagnoses=DiscoveryDiagnoses(
                payroll=[DiagnosisView.model_validate(d) for d in report.payroll_diagnoses],
                myunisoft=[DiagnosisView.model_validate(d) for d in report.myunisoft_diagnoses],
            ),
        )
