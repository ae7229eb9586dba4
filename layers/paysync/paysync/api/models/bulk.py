"""What ``POST /firms/{firm_id}/dossiers/bulk`` accepts and answers.

The body is checked whole for its shape (``defaults``; ``items`` a list of at most 500), then each
item on its own (``read_items``): an item the rules of ``BulkItemIn`` refuse becomes an ``invalid``
result with its fields at fault, and never fails the other items. The answer can carry no secret:
items have no secret field, and a refused value is never repeated.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, Field, GetJsonSchemaHandler, StrictBool, ValidationError
from pydantic.json_schema import JsonSchemaValue
from pydantic_core import CoreSchema

from paysync.api.errors import field_of, french
from paysync.api.models.common import ID_PATTERN, InputModel, ViewModel
from paysync.api.models.inputs import DossierNumber, Emails, Identifier, Name, RunDay, SocietyId
from paysync.usecases.bulk_dossiers import MAX_ITEMS, BulkItem, Problem
from paysync.usecases.settings import DossierChange

if TYPE_CHECKING:
    from paysync.usecases.bulk_dossiers import BulkReport, ItemResult


class BulkDefaultsIn(InputModel):
    """Settings shared by every item (an item's own value wins); left out: a creation takes the usual
    default (as `PUT /dossiers/{dossier_id}`), an update keeps the dossier's value."""

    auto_pull: StrictBool | None = Field(default=None, description='Automatic retrieval ("Compta").')
    run_day: RunDay | None = Field(default=None, description="Day of the month of the automatic retrieval.")
    auto_create_accounts: StrictBool | None = None
    contact_emails: Emails | None = None


class BulkItemIn(BulkDefaultsIn):
    """One dossier to create or update, from an accepted discovery proposal."""

    dossier_id: Identifier = Field(description="The paysync dossier to create or update.")
    name: Name | None = Field(default=None, description="Required to create a dossier.")
    society_id: SocietyId = Field(description="The MyUnisoft society id (the proposal's `society_id`).")
    payroll_dossier_number: DossierNumber = Field(
        description="The Silae code dossier (the proposal's `payroll_dossier_number`)."
    )


class _DocumentedAs:
    """Validates as what it annotates, documented as ``model``: an item is read on its own later
    (``read_items``), so that one bad item does not refuse the whole body."""

    def __init__(self, model: type[BaseModel]) -> None:
        self.model = model

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> JsonSchemaValue:
        return handler(self.model.__pydantic_core_schema__)


def _at_most(items: list[Any]) -> list[Any]:
    if len(items) > MAX_ITEMS:
        raise ValueError(
            f"au plus {MAX_ITEMS} dossiers par appel ({len(items)} reçus) : envoyez-les en plusieurs fois"
        )
    return items


class BulkIn(InputModel):
    defaults: BulkDefaultsIn = Field(default_factory=BulkDefaultsIn)
    items: Annotated[
        list[Annotated[Any, _DocumentedAs(BulkItemIn)]],
        Field(min_length=1, json_schema_extra={"maxItems": MAX_ITEMS}),
        AfterValidator(_at_most),
    ] = Field(description=f"At most {MAX_ITEMS}; each is saved, or refused, on its own.")

    def defaults_change(self) -> DossierChange:
        return DossierChange.model_validate(self.defaults)


def read_items(raw_items: list[Any]) -> list[BulkItem]:
    """Each item read on its own: a change to save, or its fields at fault (in French)."""
    items: list[BulkItem] = []
    for raw in raw_items:
        try:
            item = BulkItemIn.model_validate(raw)
        except ValidationError as refused:
            problems = tuple(Problem(field_of(e["loc"]), french(dict(e))) for e in refused.errors())
            items.append(BulkItem(_readable_id(raw), problems=problems))
        else:
            items.append(BulkItem(item.dossier_id, DossierChange.model_validate(item)))
    return items


def _readable_id(raw: Any) -> str | None:
    """The item's dossier id when it is one (a refused value is never repeated)."""
    found = raw.get("dossier_id") if isinstance(raw, dict) else None
    return found if isinstance(found, str) and re.fullmatch(ID_PATTERN, found) else None


# -- the answer ------------------------------------------------------------------------------------
Result = Literal["created", "updated", "unchanged", "conflict", "invalid", "failed"]


class ProblemView(ViewModel):
    field: str = Field(description="The item's field at fault.")
    message: str


class ItemResultView(ViewModel):
    index: int = Field(description="The item's position in `items` (from 0).")
    dossier_id: str | None = Field(description="The item's dossier id (null when it could not be read).")
    result: Result = Field(
        description="`created`, `updated`, `unchanged` (nothing written), `conflict`, `invalid`, or "
        "`failed` (not done: send the same call again)."
    )
    message: str | None = Field(description="Why it was not saved (French).")
    details: list[ProblemView]

    @classmethod
    def of(cls, result: ItemResult) -> ItemResultView:
        return cls(
            index=result.index,
            dossier_id=result.dossier_id,
            result=result.outcome.value,
            message=result.message,
            details=[ProblemView.model_validate(p) for p in result.details],
        )


class BulkView(ViewModel):
    firm_id: str
    counts: dict[Result, int] = Field(description="How many items had each result.")
    results: list[ItemResultView] = Field(description="One per item, in the order of `items`.")

    @classmethod
    def of(cls, report: BulkReport) -> BulkView:
        return cls(
            firm_id=report.firm_id,
            counts=report.counts(),
            results=[ItemResultView.of(r) for r in report.results],
        )
