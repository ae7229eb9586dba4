import base64
from decimal import Decimal

from paysync.domain.entries import build_entry, clip_label, partner_entry_ids, pj_name, totals
from paysync.domain.payroll import Direction, PayrollFile, PayrollGroup, PayrollLine
from paysync.domain.periods import Period

D, C = Direction.DEBIT, Direction.CREDIT
PERIOD = Period(2026, 10)
CHART = {"641100": 11, "421000": 12, "431000": 13}


def group(*lines: tuple[str, Direction, str], label: str = "Paie 10/2026") -> PayrollGroup:
    return PayrollGroup(label, tuple(PayrollLine(a, f"ligne {a}", d, Decimal(v)) for a, d, v in lines))


def test_balanced_group_maps_to_a_new_entry() -> None:
    g = group(("641100", D, "1000.005"), ("421000", C, "780.00"), ("431000", C, "220.01"))
    pdf = PayrollFile("journal.pdf", b"%PDF-1.4 demo")
    draft = build_entry(
        g,
        partner_id="pid-1",
        period=PERIOD,
        society_id=7,
        diary_id=3,
        accounts=CHART,
        files=[pdf],
        dossier_number="000101",
    )
    assert draft.postable and not draft.blocked_by
    body = draft.body
    assert body is not None
    assert body["date_piece"] == "2026-10-31"
    assert body["period_from"] == "2026-10-01" and body["period_to"] == "2026-10-31"
    assert body["diary_id"] == 3 and body["etablissement_id"] == 7
    assert body["entry_origin_partner_id"] == "pid-1"
    lines = body["entry_list"]
    assert [line["account_id"] for line in lines] == [11, 12, 13]
    # Half-up rounding to the cent.
    assert lines[0]["debit"] == 1000.01 and lines[0]["credit"] == 0
    assert lines[1]["credit"] == 780.0 and lines[1]["debit"] == 0
    assert all(line["deadline"] == "2026-10-31" for line in lines)
    assert body["pj_list"] == [
        {
            "name": "journal.pdf",
            "type": "application/pdf",
            "content": base64.b64encode(b"%PDF-1.4 demo").decode(),
        }
    ]


def test_unbalanced_group_is_never_postable() -> None:
    g = group(("641100", D, "1000.00"), ("421000", C, "999.99"))
    draft = build_entry(g, partner_id="p", period=PERIOD, society_id=1, diary_id=1, accounts=CHART)
    assert draft.body is None
    assert [d.code for d in draft.blocked_by] == ["ECR1"]
    assert draft.blocked_by[0].details["debit"] == "1000.00"


def test_unknown_account_blocks_with_compte2_and_names_it() -> None:
    g = group(("641100", D, "10.00"), ("438600", C, "10.00"))
    draft = build_entry(g, partner_id="p", period=PERIOD, society_id=1, diary_id=1, accounts=CHART)
    assert draft.body is None
    (problem,) = draft.blocked_by
    assert problem.code == "COMPTE2"
    assert problem.message == "Le compte suivant n'existe pas dans MyUnisoft : 438600"
    assert problem.kind == "data"


def test_empty_group_is_blocked() -> None:
    draft = build_entry(
        PayrollGroup("vide", ()), partner_id="p", period=PERIOD, society_id=1, diary_id=1, accounts=CHART
    )
    assert not draft.postable


def test_labels_are_clipped_to_fifty_characters() -> None:
    long = "Cotisations   " + "x" * 80
    clipped = clip_label(long)
    assert len(clipped) == 50 and clipped.endswith("…") and "   " not in clipped
    assert clip_label("court") == "court"


def test_file_names_fit_fifty_characters_and_keep_extension() -> None:
    name = pj_name("a" * 80 + ".pdf")
    assert len(name) == 50 and name.endswith(".pdf")


def test_partner_ids_are_deterministic_unique_and_stable() -> None:
    groups = [group(label="Paie A"), group(label="Paie B"), group(label="Paie A")]
    ids = partner_entry_ids(7, "000101", PERIOD, groups)
    assert ids == partner_entry_ids(7, "000101", PERIOD, groups)
    assert len(set(ids)) == 3
    assert all(i.startswith("paysync-7-2026-10-") for i in ids)
    # Another period, society or dossier never collides.
    assert set(ids).isdisjoint(partner_entry_ids(7, "000101", Period(2026, 11), groups))
    assert set(ids).isdisjoint(partner_entry_ids(8, "000101", PERIOD, groups))
    # Whitespace and case in the label do not change the identity.
    assert partner_entry_ids(7, "000101", PERIOD, [group(label="paie  a")])[0] == ids[0]


def test_totals_in_decimal() -> None:
    t = totals(group(("641100", D, "0.10"), ("641100", D, "0.20"), ("421000", C, "0.30")))
    assert t.debit == Decimal("0.30") and t.balanced


def test_files_of_a_type_myunisoft_refuses_are_left_out() -> None:
    g = group(("641100", D, "10.00"), ("421000", C, "10.00"))
    files = [
        PayrollFile("journal.pdf", b"pdf"),
        PayrollFile("export.zip", b"zip"),
        PayrollFile("page.html", b"<p>"),
    ]
    draft = build_entry(
        g, partner_id="p", period=PERIOD, society_id=1, diary_id=1, accounts=CHART, files=files
    )
    assert draft.body is not None
    assert [pj["name"] for pj in draft.body["pj_list"]] == ["journal.pdf"]
    assert draft.file_names == ("journal.pdf",)
