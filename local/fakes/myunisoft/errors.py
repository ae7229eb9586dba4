"""The fake's error catalogue and the one shape every MyUnisoft error body takes."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from local.fakes.server import Response

# Texts as published in MyUnisoft's errors.json (docs/erreurs.md); a contract test checks that every
# code here exists there with the same message (and the same HTTP status for catalogue codes).
# Gateway codes (ERR-*) carry the status this fake chose (see the package docstring).
CATALOGUE: dict[str, tuple[int, str]] = {
    "ERR-HTTP": (500, ""),
    "ERR-INVALID-AUTH-HEADER": (401, "l’en-tête http “Authorization” doit être préfixé du mot clé Bearer"),
    "ERR-API-TOKEN-NOT-FOUND": (401, "le token n’existe pas ou est révoqué"),
    "ERR-SECRET-HEADER-NOT-SET": (401, "l’en-tête X-Third-Party-Secret est manquante"),
    "ERR-INVALID-SECRET": (403, "l’en-tête X-Third-Party-Secret n’est pas valide"),
    "ERR-FORBIDDEN-ROUTE": (403, "vous n’avez pas les droits d’accès pour la route"),
    "ERR-API-UNDER-MAINTENANCE": (503, "l'api n'est pas disponible pour cause de maintenance"),
    "ERR-TOO-MANY-REQUEST": (429, "vous avez dépassé la limite autorisée de votre jeton"),
    "ERR-TOO-MANY-CONCURRENT-REQUEST": (
        429,
        "vous avez dépassé la limite autorisée de demandes concurrentes "
        "à un dossier de production/une société",
    ),
    "SOCIETE10": (400, "Aucune société selectionnée"),
    "DROIT1": (403, "Vous n'avez pas accès à cette société"),
    "COMPTE3": (400, "Veuillez saisir un numéro de compte."),
    "COMPTE4": (400, "Veuillez saisir un intitulé pour le compte."),
    "COMPTE5": (400, "Le compte n'appartient pas à la société."),
    "COMPTE6": (400, "Le premier caractère du numéro de compte doit être compris entre 1 et 9."),
    "COMPTE7": (400, "Le numéro de compte saisi ne doit pas dépasser 20 caractères."),
    "ECR1": (400, "Impossible de valider une écriture possédant un total débit différent du total crédit"),
    "ECR2": (400, "Les valeurs débit et crédit sont invalides."),
    "ECR4": (400, "L'écriture est invalide"),
    "ECR9": (400, "Impossible de saisir dans un exercice cloturé."),
    "ECR10": (400, "La date de l'écriture n'appartient à aucun exercice."),
    "ECR17": (400, "Impossible de créer une écriture de type %1"),
    "ECR27": (400, "Impossible de renseigner une valeur au débit et au crédit."),
    "ECR43": (400, "La liste d'écriture est vide"),
    "ECR48": (400, "L'etablissement ne correspond pas"),
    "JOURNAL2": (400, "Impossible d'ajouter une écriture dans un journal clôturé"),
    "JOURNAL3": (400, "Le journal est invalide."),
    "JOURNAL13": (400, 'Impossible d\'envoyer une écriture dans un journal de type "À-Nouveaux"'),
    "GBL6": (400, "Cet élément existe déjà."),
    "GBL2": (400, "Date saisie invalide"),
    "DATE3": (400, "Date debut > date fin"),
    "EXERCICE10": (400, "Exercice inexistant"),
    "DOCUMENT4": (400, "Veuillez saisir le nom du fichier"),
    "DOCUMENT6": (400, "Une erreur sur la pièce jointe à été détectée."),
    "DOCUMENT9": (400, "L'extension du fichier n'est pas acceptée."),
}
GATEWAY_CODES = frozenset(code for code in CATALOGUE if code.startswith("ERR-"))
DUPLICATE_ORIGIN_CODE = "GBL6"
# Answers the docs leave open (see :mod:`local.fakes.myunisoft.behaviour`): codes no catalogue
# has, as a server might plausibly send them. Kept apart so the contract test never mistakes them
# for the vendor's.
UNDOCUMENTED: dict[str, tuple[int, str]] = {
    "ENTRY-NOT-FOUND": (404, "Aucune écriture ne correspond à cet identifiant d'origine."),
    "ENTRY-CONFLICT": (409, "Conflit : la ressource existe."),
    "PARTNER-ID-USED": (400, "L'identifiant partenaire est déjà utilisé par une autre écriture."),
}


class RejectedError(Exception):
    """Answer this error instead of going on."""

    def __init__(
        self, code: str, *, fields: list[str] | None = None, placeholders: Iterable[str] = ()
    ) -> None:
        super().__init__(code)
        self.code = code
        self.fields = fields
        self.placeholders = tuple(placeholders)


def catalogued_error(
    code: str,
    *,
    url: str,
    method: str,
    request_id: str,
    status: int | None = None,
    fields: list[str] | None = None,
    placeholders: Iterable[str] = (),
) -> Response:
    """``{"error": {"code", "message", "details"}}`` with the catalogue's message (``%1``... filled in),
    or one of the ``UNDOCUMENTED`` answers."""
    default_status, message = CATALOGUE[code] if code in CATALOGUE else UNDOCUMENTED[code]
    for index, value in enumerate(placeholders, start=1):
        message = message.replace(f"%{index}", value)
    details: dict[str, Any] = {
        "url": url,
        "method": method,
        "requestedAt": dt.datetime.now(dt.UTC).strftime("%d %b %Y, %H:%M:%S"),
        "requestId": request_id,
    }
    if fields:
        details["fields"] = fields
    return Response(
        status=status or default_status,
        body={"error": {"code": code, "message": message, "details": details}},
    )
