"""Discovery's matching rules over real-looking dossiers: SIREN vs SIRET, spaces, accents, legal forms,
homonyms, one company with several establishments, closed payroll dossiers, configured pairs."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from paysync.domain.discovery import (
    NAME_CONFIDENCE,
    SIREN_AND_NAME_CONFIDENCE,
    SIREN_BY_NAME_CONFIDENCE,
    SIREN_CONFIDENCE,
    SIRET_CONFIDENCE,
    ConfiguredPair,
    How,
    PayrollDossier,
    Proposal,
    Society,
    company_name_key,
    discover,
    siren_of,
    siret_of,
)
from paysync.domain.models import Dossier

CLOSED = (2,)


def _one(payroll: PayrollDossier, societies: list[Society], configured: Sequence[Dossier] = ()) -> Proposal:
    (proposal,) = discover([payroll], societies, configured, closed_states=CLOSED).proposals
    return proposal


def _configured(dossier_id: str, society_id: int | None, number: str | None) -> Dossier:
    return Dossier(
        dossier_id=dossier_id,
        firm_id="cabinet-dupont",
        name=dossier_id,
        society_id=society_id,
        payroll_dossier_number=number,
        pending_period="2026-10",
    )


# -- identifiers and names -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("identifier", "siren", "siret"),
    [
        ("412345670", "412345670", None),
        ("41234567000019", "412345670", "41234567000019"),
        ("412 345 670 00019", "412345670", "41234567000019"),  # the way people type it
        ("412\u00a0345\u00a0670\u00a000019", "412345670", "41234567000019"),  # non-breaking spaces
        (" 412345670 ", "412345670", None),
        ("", None, None),
        (None, None, None),
        ("4123456700001", None, None),  # 13 digits: a typo, not a SIRET
        ("41234567", None, None),  # 8 digits
        ("412-345-670", None, None),  # only spaces are set aside
        ("000000000", None, None),  # a placeholder, not a company
        ("FR12412345670", None, None),  # a VAT number
    ],
)
def test_siren_and_siret(identifier: str | None, siren: str | None, siret: str | None) -> None:
    assert (siren_of(identifier), siret_of(identifier)) == (siren, siret)


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("BOULANGERIE MARTIN SARL", "Boulangerie Martin"),
        ("S.A.R.L. Boulangerie Martin", "boulangerie martin"),
        ("Fleuriste Éléonore", "EURL FLEURISTE ELEONORE"),
        ("Café de l'Église", "CAFE DE L EGLISE"),
        ("Dupont & Fils", "DUPONT ET FILS SAS"),
        ("Transports Bernard (SAS)", "S.A.S. Transports Bernard"),
        ("Cabinet Médical  Petit - SELARL", "cabinet medical petit"),
        ("Les Tilleuls SCI", "SCI LES TILLEULS"),
    ],
)
def test_names_compare_without_case_accents_punctuation_or_legal_form(left: str, right: str) -> None:
    assert company_name_key(left) == company_name_key(right) != ""


@pytest.mark.parametrize(
    ("left", "right"),
    [
        ("Boulangerie Martin", "Boulangerie Martine"),
        ("Garage Leroy Nord", "Garage Leroy Sud"),
        ("Sasha Couture", "Couture"),  # a legal form inside a word stays
    ],
)
def test_different_names_stay_different(left: str, right: str) -> None:
    assert company_name_key(left) != company_name_key(right)


def test_a_bare_legal_form_is_no_name_at_all() -> None:
    assert company_name_key("S.A.R.L.") == company_name_key("SAS") == ""


# -- siren ---------------------------------------------------------------------------------------------------
def test_a_siret_with_spaces_matches_the_society_s_siren() -> None:
    payroll = PayrollDossier("000101", "BOULANGERIE MARTIN SARL", "412 345 670 00019")
    societies = [
        Society(101, "Boulangerie Martin", "412345670"),
        Society(102, "Garage Leroy", "52345678800018"),
    ]
    proposal = _one(payroll, societies)
    assert (proposal.how, proposal.society, proposal.confidence) == (
        How.SIREN,
        societies[0],
        SIREN_AND_NAME_CONFIDENCE,
    )


def test_the_same_siren_under_another_name_is_still_the_company() -> None:
    payroll = PayrollDossier("000112", "Cabinet d'Architecture Roux", "532198769 00012")
    proposal = _one(payroll, [Society(112, "ROUX ARCHITECTURE", "532198769")])
    assert (proposal.how, proposal.society.society_id if proposal.society else None) == (How.SIREN, 112)
    assert proposal.confidence == SIREN_CONFIDENCE


def test_siren_wins_over_a_namesake() -> None:
    """The homonym: two butchers called Dubois, one per SIREN; the payroll SIREN picks its own."""
    payroll = PayrollDossier("000108", "SARL Boucherie Dubois", "512 789 033 00010")
    lyon = Society(108, "Boucherie Dubois", "512789033")
    paris = Society(109, "BOUCHERIE DUBOIS", "80123456800013")
    proposal = _one(payroll, [paris, lyon])
    assert (proposal.how, proposal.society) == (How.SIREN, lyon)


def test_a_namesake_with_another_siren_is_never_proposed() -> None:
    payroll = PayrollDossier("000108", "Boucherie Dubois", "51278903300010")
    paris = Society(109, "BOUCHERIE DUBOIS", "80123456800013")
    assert _one(payroll, [paris]).how is How.NONE


def test_several_establishments_are_told_apart_by_their_siret() -> None:
    """One SIREN, two MyUnisoft societies (one per establishment): the exact SIRET decides."""
    north = Society(102, "Garage Leroy", "52345678800018")
    south = Society(106, "Garage Leroy - Atelier Sud", "523 456 788 00026")
    head = _one(PayrollDossier("000102", "GARAGE LEROY", "52345678800018"), [north, south])
    workshop = _one(PayrollDossier("000106", "GARAGE LEROY ATELIER SUD", "523456788 00026"), [north, south])
    assert (head.how, head.society, head.confidence) == (How.SIREN, north, SIRET_CONFIDENCE)
    assert (workshop.how, workshop.society, workshop.confidence) == (How.SIREN, south, SIRET_CONFIDENCE)


def test_several_establishments_without_siret_are_told_apart_by_name() -> None:
    north = Society(102, "Garage Leroy Nord", "523456788")
    south = Society(106, "Garage Leroy Sud", "523456788")
    proposal = _one(PayrollDossier("000106", "GARAGE LEROY SUD", "523456788"), [north, south])
    assert (proposal.how, proposal.society, proposal.confidence) == (
        How.SIREN,
        south,
        SIREN_BY_NAME_CONFIDENCE,
    )


def test_several_establishments_nothing_singles_out_is_ambiguous_with_all_listed() -> None:
    north = Society(102, "Garage Leroy Nord", "523456788")
    south = Society(106, "Garage Leroy Sud", "52345678800026")
    proposal = _one(PayrollDossier("000102", "Leroy Automobiles", "523456788 00018"), [south, north])
    assert proposal.how is How.AMBIGUOUS and proposal.society is None and proposal.confidence == 0
    assert [(c.society.society_id, c.how) for c in proposal.candidates] == [
        (102, How.SIREN),
        (106, How.SIREN),
    ]


def test_one_company_s_two_payroll_dossiers_both_find_its_single_society() -> None:
    society = Society(102, "GARAGE LEROY", "523456788")
    found = discover(
        [
            PayrollDossier("000102", "Garage Leroy - Atelier Nord", "52345678800018"),
            PayrollDossier("000106", "Garage Leroy - Atelier Sud", "52345678800026"),
        ],
        [society],
        [],
        closed_states=CLOSED,
    )
    assert [(p.payroll.number, p.how, p.society) for p in found.proposals] == [
        ("000102", How.SIREN, society),
        ("000106", How.SIREN, society),
    ]


# -- name ----------------------------------------------------------------------------------------------------
def test_a_name_match_with_accents_and_legal_forms() -> None:
    society = Society(105, "EURL FLEURISTE ELEONORE")
    proposal = _one(PayrollDossier("000105", "Fleuriste Éléonore", ""), [society])
    assert (proposal.how, proposal.society, proposal.confidence) == (How.NAME, society, NAME_CONFIDENCE)


def test_a_name_match_when_only_one_side_has_a_siren() -> None:
    with_siren = _one(
        PayrollDossier("000105", "Fleuriste Éléonore", "445566771"), [Society(105, "Fleuriste Eleonore")]
    )
    society_siren = _one(
        PayrollDossier("000105", "Fleuriste Éléonore"), [Society(105, "Fleuriste Eleonore", "445566771")]
    )
    assert with_siren.how is How.NAME and society_siren.how is How.NAME


def test_homonyms_without_siren_are_ambiguous_and_all_listed() -> None:
    nantes = Society(110, "CAFE DES ARTS")
    rennes = Society(111, "Café des Arts SAS", "44556677100017")
    proposal = _one(PayrollDossier("000110", "Café des Arts", None), [rennes, nantes])
    assert proposal.how is How.AMBIGUOUS and proposal.society is None
    assert [(c.society, c.how, c.confidence) for c in proposal.candidates] == [
        (nantes, How.NAME, NAME_CONFIDENCE),
        (rennes, How.NAME, NAME_CONFIDENCE),
    ]


def test_nothing_alike_is_none() -> None:
    proposal = _one(
        PayrollDossier("000111", "Auto-école Mercier", "390 876 548 00012"),
        [Society(101, "Boulangerie Martin", "412345670")],
    )
    assert (proposal.how, proposal.society, proposal.candidates, proposal.confidence) == (
        How.NONE,
        None,
        (),
        0,
    )


def test_an_empty_name_matches_nothing() -> None:
    assert _one(PayrollDossier("000999", "SARL", None), [Society(1, "SAS")]).how is How.NONE


# -- closed dossiers, configured pairs, no society listing -------------------------------------------------
def test_closed_payroll_dossiers_are_listed_apart_with_the_dossiers_still_tied_to_them() -> None:
    found = discover(
        [
            PayrollDossier("000107", "IMPRIMERIE VASSEUR", "49012345200016", state=2),
            PayrollDossier("000101", "Boulangerie Martin", "412345670", state=1),
        ],
        [Society(107, "Imprimerie Vasseur", "490123452"), Society(101, "Boulangerie Martin", "412345670")],
        [_configured("imprimerie", 107, "000107")],
        closed_states=CLOSED,
    )
    assert [p.number for p in found.payroll_dossiers] == ["000101"]
    assert [p.payroll.number for p in found.proposals] == ["000101"]
    (closed,) = found.closed_payroll_dossiers
    assert (closed.payroll.number, closed.configured_dossier_ids) == ("000107", ("imprimerie",))


def test_which_states_are_closed_is_the_caller_s() -> None:
    payroll = [PayrollDossier("1", "A", state=1), PayrollDossier("2", "B", state=2), PayrollDossier("3", "C")]
    assert [p.number for p in discover(payroll, [], [], closed_states=(1,)).payroll_dossiers] == ["2", "3"]


def test_the_configured_pair_and_the_contradicting_ones_are_named() -> None:
    society = Society(101, "Boulangerie Martin", "412345670")
    configured = [
        _configured("boulangerie-martin", 101, "000101"),
        _configured("boulangerie-typo", 111, "000101"),  # same payroll number, another society
        _configured("autre-dossier", 101, "000199"),  # same society, another payroll number: fine
        _configured("sans-numero", 101, None),
    ]
    proposal = _one(
        PayrollDossier("000101", "BOULANGERIE MARTIN SARL", "41234567000019"), [society], configured
    )
    assert proposal.configured_dossier_id == "boulangerie-martin"
    assert proposal.conflicts == (ConfiguredPair("boulangerie-typo", 111),)


def test_an_ambiguous_proposal_keeps_the_firm_s_earlier_choice_among_its_candidates() -> None:
    nantes, rennes = Society(110, "CAFE DES ARTS"), Society(111, "Café des Arts")
    configured = [_configured("cafe-des-arts", 111, "000110"), _configured("ailleurs", 42, "000110")]
    proposal = _one(PayrollDossier("000110", "Café des Arts"), [nantes, rennes], configured)
    assert proposal.how is How.AMBIGUOUS and proposal.configured_dossier_id == "cafe-des-arts"
    assert proposal.conflicts == (ConfiguredPair("ailleurs", 42),)


def test_a_configured_pair_discovery_cannot_confirm_is_a_conflict() -> None:
    proposal = _one(
        PayrollDossier("000111", "Auto-école Mercier", "39087654800012"),
        [Society(101, "Boulangerie Martin", "412345670")],
        [_configured("auto-ecole", 101, "000111")],
    )
    assert proposal.how is How.NONE and proposal.configured_dossier_id is None
    assert proposal.conflicts == (ConfiguredPair("auto-ecole", 101),)


def test_without_the_society_listing_nothing_is_proposed_and_nothing_called_a_conflict() -> None:
    found = discover(
        [PayrollDossier("000201", "Café de la Gare", "60211234400018")],
        None,
        [_configured("cafe-gare", 201, "000201")],
        closed_states=CLOSED,
    )
    assert found.societies == ()
    (proposal,) = found.proposals
    assert (proposal.how, proposal.configured_dossier_id, proposal.conflicts) == (How.NONE, None, ())


def test_everything_comes_out_in_a_stable_order() -> None:
    found = discover(
        [PayrollDossier("000102", "B"), PayrollDossier("000101", "A")],
        [Society(9, "Z"), Society(3, "Y")],
        [],
        closed_states=CLOSED,
    )
    assert [p.number for p in found.payroll_dossiers] == ["000101", "000102"]
    assert [s.society_id for s in found.societies] == [3, 9]
