from paysync.domain.accounts import (
    AccountLink,
    ChartAccount,
    MatchState,
    match_account,
    match_accounts,
    normalize_label,
    same_number,
)

CHART = [
    ChartAccount(1, "641100", "Salaires et appointements"),
    ChartAccount(2, "421000", "Personnel - Rémunérations dues"),
    ChartAccount(3, "437150", "Prévoyance"),
]


def test_labels_compare_without_case_accents_or_spaces() -> None:
    assert normalize_label("  Prévoyance   CADRES ") == normalize_label("prevoyance cadres")


def test_padded_numbers_are_the_same_account() -> None:
    assert same_number("4211", "421100") and same_number("641100", "641100")
    assert not same_number("4211", "421110") and not same_number("42110", "4211")


def test_correspondance_ok_uses_the_chart_account() -> None:
    m = match_account("641100", "Salaires bruts", CHART, None, auto_create=False)
    assert m.state is MatchState.OK and m.action == "use" and m.account == CHART[0]
    assert match_account("6411", "x", CHART, None, auto_create=False).account == CHART[0]


def test_missing_without_suggestion_blocks_when_auto_creation_is_off() -> None:
    m = match_account("438600", "Organismes sociaux", CHART, None, auto_create=False)
    assert m.state is MatchState.MISSING and m.action == "block"
    assert m.diagnosis is not None
    assert m.diagnosis.message == "Le compte suivant n'existe pas dans MyUnisoft : 438600"
    assert "Plan comptable" in m.diagnosis.remedy


def test_missing_without_suggestion_is_created_when_auto_creation_is_on() -> None:
    m = match_account("438600", "Organismes sociaux", CHART, None, auto_create=True)
    assert m.state is MatchState.MISSING and m.action == "create" and not m.notices


def test_missing_with_suggestion_names_it_and_warns_of_a_duplicate_when_created() -> None:
    off = match_account("437100", "PRÉVOYANCE", CHART, None, auto_create=False)
    assert off.state is MatchState.MISSING_WITH_SUGGESTIONS and off.suggestions == (CHART[2],)
    assert off.action == "block" and "437150" in off.diagnosis.remedy  # type: ignore[union-attr]
    on = match_account("437100", "prevoyance", CHART, None, auto_create=True)
    assert on.action == "create" and on.notices[0].code == "COMPTE-CREE-DOUBLON"


def test_linked_account_whose_number_changed_is_ok_with_different_code() -> None:
    link = AccountLink("437000", 3, "created")
    m = match_account("437000", "Prévoyance", CHART, link, auto_create=False)
    assert m.state is MatchState.OK_DIFFERENT_CODE and m.action == "use" and m.account == CHART[2]


def test_linked_account_deleted_blocks_with_compte5_and_is_never_recreated() -> None:
    link = AccountLink("438600", 99, "created")
    for auto in (True, False):
        m = match_account("438600", "Organismes sociaux", CHART, link, auto_create=auto)
        assert m.state is MatchState.DELETED and m.action == "block"
        assert m.diagnosis is not None and m.diagnosis.code == "COMPTE5"
        assert m.diagnosis.message == "Le compte n'appartient pas à la société."
        assert "recréez-le" in m.diagnosis.remedy


def test_invalid_payroll_numbers_are_compte17_before_any_call() -> None:
    for number in ("041000", "A41000", "1" * 21):
        m = match_account(number, "x", CHART, None, auto_create=True)
        assert m.action == "block" and m.diagnosis is not None and m.diagnosis.code == "COMPTE17"
        assert number in m.diagnosis.message


def test_match_accounts_covers_every_number() -> None:
    result = match_accounts({"641100": "a", "999999": "b"}, CHART, {}, auto_create=False)
    assert [m.state for m in result.values()] == [MatchState.OK, MatchState.MISSING]


def test_a_deleted_account_recreated_by_hand_is_linked_again() -> None:
    link = AccountLink("641100", 99, "created")
    m = match_account("641100", "Salaires", CHART, link, auto_create=False)
    assert m.state is MatchState.OK and m.action == "use" and m.relink and m.account == CHART[0]
