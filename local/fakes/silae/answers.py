"""What the fake Silae answers when it refuses: Azure API Management's own bodies, OAuth2 errors,
Silae's ``ApiErrors``, and the codes the fake chose where Silae's are undocumented."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from local.fakes.server import Response

PARIS = ZoneInfo("Europe/Paris")

# Azure API Management's own bodies (not Silae's ApiErrors).
APIM_INVALID_KEY = (
    "Access denied due to invalid subscription key. "
    "Make sure to provide a valid key for an active subscription."
)
APIM_MISSING_KEY = (
    "Access denied due to missing subscription key. Make sure to include subscription key when making "
    "requests to an API."
)
APIM_INVALID_TOKEN = "Unauthorized. Access token is missing or invalid."

# Documented (external-apis.md): the dossiers header is missing or empty.
CODE_EMPTY_DOSSIERS = "1011"
MESSAGE_EMPTY_DOSSIERS = "la valeur de la liste de dossiers est nulle ou vide"
# The official codes of the cases below are undocumented: these are the fake's own choices, so
# nothing downstream may depend on them except through the fake's attributes.
CODE_INVALID_REQUEST = "VALIDATION"
CODE_DOSSIER_NOT_IN_HEADER = "DOSSIER_HORS_ENTETE"
CODE_DOSSIER_DENIED = "DOSSIER_NON_AUTORISE"
CODE_SERVER = "ERREUR_SERVEUR"
CODE_UNRECOVERABLE = "CONFIGURATION_INVALIDE"


def format_expiration_warning(moment: datetime) -> str:
    """``DD/MM/YYYY HH:MM:SS AM|PM`` in Paris time, built by hand (``%p`` depends on the locale)."""
    local = moment.astimezone(PARIS)
    hour = local.hour % 12 or 12
    meridiem = "AM" if local.hour < 12 else "PM"
    return f"{local:%d/%m/%Y} {hour:02d}:{local:%M:%S} {meridiem}"


def api_errors(code: str, message: str, *, recoverable: bool, source: str = "Api") -> dict[str, Any]:
    """An ``ApiErrors`` body."""
    return {"errors": [{"code": code, "message": message}], "recoverable": recoverable, "source": source}


class Answer(Exception):  # noqa: N818 - not an error: the answer to send now
    """Carries the response a check decided on, so checks read as a flat list."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status)
        self.response = response


def oauth_error(status: int, error: str, description: str) -> Answer:
    return Answer(Response(status=status, body={"error": error, "error_description": description}))


def invalid_key() -> Response:
    return Response(status=401, body={"statusCode": 401, "message": APIM_INVALID_KEY})


def bad_request(code: str, message: str) -> Answer:
    # recoverable false: the request or the configuration is wrong, retrying cannot help.
    return Answer(Response(status=400, body=api_errors(code, message, recoverable=False)))
