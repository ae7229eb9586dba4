"""What requests and answers share: the patterns (the error mapping says each one in French), the two
base models, the one error body, and what the views of several areas use (``view_of``, the
diagnosis view)."""

from __future__ import annotations

from typing import Annotated, Any, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StringConstraints

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,63}$"
RUN_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$"
KEY_ID_PATTERN = r"^[0-9a-f]{16}$"
PERIOD_PATTERN = r"^2[0-9]{3}-(0[1-9]|1[0-2])$"
# A calendar-looking day from 2016 on (the code checks the day exists and is not in the future).
DATE_PATTERN = r"^(201[6-9]|20[2-9][0-9]|2[1-9][0-9]{2})-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
EMAIL_PATTERN = r"^[A-Za-z0-9._%+-]{1,64}@[A-Za-z0-9-]{1,63}(\.[A-Za-z0-9-]{1,63})*\.[A-Za-z]{2,24}$"
PRINTABLE_PATTERN = r"^[^\x00-\x1F\x7F]*$"  # no control characters (they end up in emails and journals)
VISIBLE_ASCII_PATTERN = r"^[!-~]+$"  # what may travel in an HTTP header: no blank, no accent
DOSSIER_NUMBER_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,49}$"  # sent in Silae's ``dossiers`` header
VISIBLE_ASCII_MESSAGE = "uniquement des caractères ASCII visibles (ni espace, ni accent)"

PeriodText = Annotated[str, StringConstraints(pattern=PERIOD_PATTERN)]  # exactly AAAA-MM


# Both built when first used (``defer_build``), not when their module is imported: a function imports
# its areas' every model, and its first request uses two or three of them (settings_api's cold start
# built some 50 schemas for one GET).


class InputModel(BaseModel):
    """A request body: unknown fields refused."""

    model_config = ConfigDict(extra="forbid", defer_build=True)


class ViewModel(BaseModel):
    """An answer: read from a domain object's attributes of the same names (``model_validate(obj)``)."""

    model_config = ConfigDict(extra="forbid", from_attributes=True, defer_build=True)


class ErrorDetail(ViewModel):
    field: str
    message: str


class ErrorBody(ViewModel):
    """Every error answer: a stable code, a French message, and the fields at fault."""

    code: str
    message: str
    details: list[ErrorDetail] = []


V = TypeVar("V", bound=ViewModel)


class _Given:
    """``source`` as a view reads it, with some attributes given (added or replaced)."""

    def __init__(self, source: object, given: dict[str, Any]) -> None:
        self._source = source
        self._given = given

    def __getattr__(self, name: str) -> Any:
        if name in self._given:
            return self._given[name]
        return getattr(self._source, name)


def view_of(view: type[V], source: object, /, **given: Any) -> V:
    """The one converter: ``view`` read from ``source``'s attributes, the ``given`` ones first."""
    return view.model_validate(_Given(source, given) if given else source)


class DiagnosisView(ViewModel):
    code: str
    message: str
    remedy: str
    kind: str
    details: dict[str, Any] = Field(default={})
