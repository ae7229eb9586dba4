"""The bulk body read without I/O: its shape checked whole, each item on its own."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from paysync.api.models.bulk import BulkIn, read_items
from paysync.usecases.bulk_dossiers import Problem

ITEM = {"dossier_id": "fleuriste", "name": "Fleuriste", "society_id": 105, "payroll_dossier_number": "000105"}


def test_each_item_is_read_on_its_own() -> None:
    body = BulkIn.model_validate(
        {"items": [ITEM, {**ITEM, "run_day": 0}, "fleuriste", {"dossier_id": "a b"}]}
    )
    good, bad_day, not_an_object, bad_id = read_items(body.items)
    assert good.change is not None and good.problems == ()
    assert (good.dossier_id, good.change.society_id, good.change.payroll_dossier_number) == (
        "fleuriste",
        105,
        "000105",
    )
    assert good.change.firm_id is None and good.change.run_day is None
    assert bad_day.dossier_id == "fleuriste" and bad_day.change is None
    assert bad_day.problems == (Problem("run_day", "doit être supérieur ou égal à 1"),)
    assert not_an_object.dossier_id is None and not_an_object.problems == (
        Problem("body", "doit être un objet JSON"),
    )
    # An unreadable id is not repeated; every field at fault is named.
    assert bad_id.dossier_id is None
    assert {p.field for p in bad_id.problems} == {"dossier_id", "society_id", "payroll_dossier_number"}


def test_more_than_500_items_are_refused_with_the_reason() -> None:
    assert len(BulkIn.model_validate({"items": [ITEM] * 500}).items) == 500
    with pytest.raises(ValidationError) as refused:
        BulkIn.model_validate({"items": [ITEM] * 501})
    assert "au plus 500 dossiers par appel (501 reçus)" in str(refused.value)


def test_the_defaults_become_the_change_every_item_is_merged_over() -> None:
    body = BulkIn.model_validate({"items": [ITEM], "defaults": {"run_day": 5, "auto_pull": True}})
    change = body.defaults_change()
    assert (change.run_day, change.auto_pull, change.contact_emails, change.name) == (5, True, None, None)
    with pytest.raises(ValidationError):
        BulkIn.model_validate({"items": [ITEM], "defaults": {"society_id": 105}})  # not a shared setting
