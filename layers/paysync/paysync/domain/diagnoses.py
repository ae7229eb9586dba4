"""Diagnoses: what went wrong, said to firm staff in French, with what to do about it.

Codes are the ones users already know from the seeds and MyUnisoft's error catalogue; the
messages are theirs. Each diagnosis also has a kind, which decides whether retrying can help.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict


class DiagnosisKind(StrEnum):
    CONFIGURATION = "configuration"  # settings are wrong: not retried, someone must act
    DATA = "data"  # one entry is wrong: it is blocked, the others are posted
    TRANSIENT = "transient"  # the service failed: retried


class Diagnosis(BaseModel):
    """One problem, as shown to firm staff."""

    model_config = ConfigDict(frozen=True)

    code: str
    message: str
    remedy: str
    kind: DiagnosisKind
    # Non-secret context: an account number, an entry label, a MyUnisoft request-id...
    details: dict[str, Any] = {}

    def with_details(self, **details: Any) -> Diagnosis:
        return self.model_copy(update={"details": {**self.details, **details}})


_C = DiagnosisKind.CONFIGURATION
_D = DiagnosisKind.DATA
_T = DiagnosisKind.TRANSIENT

# code -> (kind, message, remedy). Messages are those users know (seeds, MyUnisoft catalogue).
_CATALOGUE: dict[str, tuple[DiagnosisKind, str, str]] = {
    "SILAE4": (
        _C,
        "Aucun code dossier n'est paramétré pour votre logiciel de paie dans les connecteurs.",
        "Renseignez le numéro du dossier de paie (code dossier Silae) dans les paramètres du dossier.",
    ),
    "SILAE5": (
        _C,
        "Le login de votre logiciel de paie n'est pas correctement paramétré.",
        "Saisissez les identifiants de l'API de paie (Client ID, Client secret, clé de configuration) "
        "dans les paramètres du cabinet. Vérifiez aussi que le dossier est rattaché au bon cabinet.",
    ),
    "SILAE6": (
        _C,
        "Aucun journal d'OD PAIE n'est paramétré.",
        "Créez dans MyUnisoft un journal de type « OD Paie » pour ce dossier, puis relancez la synchronisation.",
    ),
    "SILAE10": (
        _C,
        "Vous n'avez pas de droits en paie sur le dossier",
        "Donnez à l'utilisateur de paie rattaché à la configuration API l'accès à ce dossier dans votre "
        "logiciel de paie, ou rattachez la configuration API à un utilisateur qui y a accès.",
    ),
    "SILAE13": (
        _C,
        "La configuration REST de votre logiciel de paie n'est pas correcte",
        "Le Client secret n'est valable qu'un an et a probablement expiré : régénérez-le sur le portail API "
        "de votre logiciel de paie (Mes comptes API > Modifier > Gestion des clients secrets), puis "
        "enregistrez-le dans paysync.",
    ),
    "SILAE15": (
        _C,
        "La configuration REST de votre logiciel de paie n'est pas correcte :  Impossible de s'authentifier, "
        "vérifiez que votre client id et votre client secret sont valides.",
        "Ressaisissez le Client ID et le Client secret tels qu'affichés sur le portail API de votre logiciel "
        "de paie (Mes comptes API > Modifier > Gestion des clients secrets).",
    ),
    "SubscriptionKeyInvalid": (
        _C,
        "backend, authorization, SubscriptionKeyInvalid, Access denied due to invalid subscription key. "
        "Make sure to provide a valid key for an active subscription",
        "Vérifiez la clé de configuration (clé principale) sur le portail API de votre logiciel de paie et "
        "ressaisissez-la.",
    ),
    "SubscriptionKeyConflict": (
        _C,
        "backend, authorization, SubscriptionKeyInvalid, Access denied due to invalid subscription key. "
        "Make sure to provide a valid key for an active subscription",
        "Un paramétrage de paie au niveau du dossier est en conflit avec celui du cabinet : supprimez les "
        "identifiants de paie saisis sur le dossier pour que ceux du cabinet s'appliquent.",
    ),
    "SubscriptionKeyNotFound": (
        _C,
        "backend, authorization, SubscriptionKeyNotFound, Access denied due to missing subscription key.",
        "Saisissez la clé de configuration (clé principale) affichée sur le portail API de votre logiciel de paie.",
    ),
    "SILAE9": (
        _T,
        "Problème de récupération de données de votre logiciel de paie",
        "Le logiciel de paie n'a pas répondu correctement ; la synchronisation sera retentée automatiquement.",
    ),
    "MYUNISOFT-TOKEN-MISSING": (
        _C,
        "Aucun jeton d'API MyUnisoft n'est paramétré pour ce dossier.",
        "Générez un jeton dans MyUnisoft (Paramètres > Connecteurs dossier ou Connecteurs cabinet > Générer) "
        "et enregistrez-le dans paysync, au niveau du cabinet ou du dossier.",
    ),
    "MYUNISOFT-SOCIETY-MISSING": (
        _C,
        "Aucun identifiant de société MyUnisoft n'est paramétré pour ce dossier.",
        "Renseignez l'identifiant de la société MyUnisoft (society id) dans les paramètres du dossier.",
    ),
    "ERR-API-TOKEN-NOT-FOUND": (
        _C,
        "le token n’existe pas ou est révoqué",
        "Générez un nouveau jeton d'API dans MyUnisoft (Paramètres > Connecteurs > Générer) et enregistrez-le "
        "dans paysync.",
    ),
    "ERR-INVALID-SECRET": (
        _C,
        "l’en-tête X-Third-Party-Secret n’est pas valide",
        "Le secret partenaire de paysync n'est pas (ou pas encore) reconnu par MyUnisoft : contactez "
        "l'intégrateur ; l'activation par MyUnisoft peut prendre un peu de temps.",
    ),
    "ERR-FORBIDDEN-ROUTE": (
        _C,
        "vous n’avez pas les droits d’accès pour la route",
        "Le jeton MyUnisoft n'autorise pas cette opération : régénérez-le avec les droits nécessaires.",
    ),
    "ERR-FOLDER-NOT-FOUND": (
        _C,
        "pas de dossier actif lié à ce token, il faut le régénérer",
        "Régénérez le jeton société dans MyUnisoft (Paramètres > Connecteurs dossier) et enregistrez-le.",
    ),
    "JOURNAL2": (
        _C,
        "Impossible d'ajouter une écriture dans un journal clôturé",
        "Rouvrez le journal d'OD PAIE dans MyUnisoft ou créez-en un nouveau, puis relancez la synchronisation.",
    ),
    "ECR9": (
        _C,
        "Impossible de saisir dans un exercice cloturé.",
        "L'exercice de cette période est clôturé dans MyUnisoft : rouvrez-le ou saisissez ces OD à la main.",
    ),
    "ECR10": (
        _C,
        "La date de l'écriture n'appartient à aucun exercice.",
        "Créez dans MyUnisoft l'exercice qui couvre cette période, puis relancez la synchronisation.",
    ),
    "ECR1": (
        _D,
        "Impossible de valider une écriture possédant un total débit différent du total crédit",
        "Corrigez l'écriture de paie dans votre logiciel de paie pour qu'elle soit équilibrée, puis relancez "
        "la synchronisation.",
    ),
    "COMPTE2": (
        _D,
        "Le compte n'existe pas.",
        "Créez le compte dans MyUnisoft (Paramètres > Tenue > Plan comptable), puis relancez la synchronisation.",
    ),
    "COMPTE17": (
        _D,
        "Impossible de générer les OD de paie car le compte %1 paramétré sur votre logiciel de paie est invalide",
        "Corrigez le numéro de compte dans le paramétrage comptable de votre logiciel de paie (1 à 20 "
        "caractères, commençant par un chiffre de 1 à 9).",
    ),
    "NO-PAYROLL-ENTRIES": (
        _D,
        "Aucune OD de paie n'est disponible pour cette période dans votre logiciel de paie.",
        "La paie de la période n'est sans doute pas encore clôturée : elle sera récupérée automatiquement "
        "une nuit suivante.",
    ),
    "ENTRY-BEING-POSTED": (
        _T,
        "Cette écriture est en cours d'envoi par une autre synchronisation.",
        "Aucune action requise : la synchronisation reprendra automatiquement.",
    ),
    "TRANSIENT-RETRYING": (
        _T,
        "Un service n'a pas répondu correctement ; la synchronisation sera retentée automatiquement.",
        "Aucune action requise.",
    ),
    "TRANSIENT-EXHAUSTED": (
        _T,
        "Le service n'a pas répondu correctement après plusieurs tentatives.",
        "Aucune donnée n'a été perdue : relancez la synchronisation plus tard ; si cela persiste, contactez "
        "le support.",
    ),
}


def diagnosis(code: str, **details: Any) -> Diagnosis:
    """The catalogued diagnosis for ``code``; ``%1`` in its message is filled from ``details['arg']``."""
    kind, message, remedy = _CATALOGUE[code]
    if "arg" in details:
        message = message.replace("%1", str(details["arg"]))
    return Diagnosis(code=code, message=message, remedy=remedy, kind=kind, details=details)


def is_catalogued(code: str) -> bool:
    return code in _CATALOGUE


# MyUnisoft codes that mean "retry later", whatever their message.
_MYUNISOFT_TRANSIENT = {
    "ERR-TOO-MANY-REQUEST",
    "ERR-TOO-MANY-CONCURRENT-REQUEST",
    "ERR-TOO-MANY-CONCURRENT-REQUESTS",
    "ERR-API-UNDER-MAINTENANCE",
    "ERR-HTTP",
}
# MyUnisoft codes about one entry's data rather than the dossier's settings.
_MYUNISOFT_DATA_PREFIXES = ("ECR", "COMPTE", "PJ", "LETTRAGE")


def from_myunisoft(
    code: str, message: str, request_id: str | None = None, *, transient: bool | None = None
) -> Diagnosis:
    """A MyUnisoft error, passed through with its own code and text (automate on the code only).

    ``transient``: whether the client found the failure worth retrying (its status and code); when
    False, the diagnosis is never of the transient kind, whatever the code (a ``4xx`` without an
    error body, say): a refusal that retrying cannot cure must end with someone told, not in the
    dead-letter queue.
    """
    details: dict[str, Any] = {"request_id": request_id} if request_id else {}
    if is_catalogued(code):
        known = diagnosis(code)
        return known.with_details(**details)
    if code in _MYUNISOFT_TRANSIENT and transient is not False:
        kind, remedy = _T, "MyUnisoft est momentanément indisponible : la synchronisation sera retentée."
    elif code.startswith(_MYUNISOFT_DATA_PREFIXES) and code not in {"ECR9", "ECR10"}:
        kind, remedy = _D, "Corrigez l'écriture concernée, puis relancez la synchronisation."
    else:
        kind, remedy = (
            _C,
            "Vérifiez le paramétrage du dossier dans MyUnisoft, puis relancez la synchronisation.",
        )
    return Diagnosis(code=code, message=message or code, remedy=remedy, kind=kind, details=details)


_CATALOGUE["PARTNER-SECRET-MISSING"] = (
    _C,
    "Le secret partenaire MyUnisoft (X-Third-Party-Secret) n'est pas configuré dans paysync.",
    "L'intégrateur doit enregistrer le secret partenaire fourni par MyUnisoft dans Secrets Manager "
    "(voir le README, « Configuration »).",
)
_CATALOGUE["SILAE-API"] = (
    _C,
    "Votre logiciel de paie a refusé la demande : %1",
    "Vérifiez la configuration d'accès API dans votre logiciel de paie (Paramétrage paie > API > "
    "Configuration API), puis relancez la synchronisation.",
)
# Test connection ("Tester la connexion"): what the nightly pull never meets as such.
_CATALOGUE["SECRET-EXPIRES-SOON"] = (
    _C,
    "Le Client secret de votre logiciel de paie expire dans %1 jour(s).",
    "Régénérez le Client secret sur le portail API de votre logiciel de paie (Mes comptes API > Modifier > "
    "Gestion des clients secrets) avant cette date, puis enregistrez-le dans paysync.",
)
_CATALOGUE["MYUNISOFT-SOCIETY-MISMATCH"] = (
    _C,
    "Le jeton société MyUnisoft enregistré pour ce dossier appartient à une autre société (%1).",
    "Générez le jeton dans le dossier MyUnisoft de cette société (Paramètres > Connecteurs dossier > "
    "Générer), ou corrigez l'identifiant de société du dossier.",
)
# Discovery: the firm's societies are listed with a cabinet token only.
_CATALOGUE["MYUNISOFT-CABINET-TOKEN-MISSING"] = (
    _C,
    "Aucun jeton cabinet MyUnisoft n'est enregistré pour ce cabinet : la liste de ses sociétés ne peut pas "
    "être lue, et aucune correspondance n'est proposée.",
    "Générez un jeton cabinet dans MyUnisoft (Paramètres > Connecteurs cabinet > Générer) et enregistrez-le "
    "dans paysync ; les jetons société ne donnent accès qu'à leur propre dossier.",
)
_CATALOGUE["MYUNISOFT-NOT-CABINET-TOKEN"] = (
    _C,
    "Le jeton MyUnisoft utilisé est un jeton société : il donne accès à un seul dossier, pas à la liste des "
    "sociétés du cabinet, et aucune correspondance n'est proposée.",
    "Générez un jeton cabinet dans MyUnisoft (Paramètres > Connecteurs cabinet > Générer) et utilisez-le "
    "pour la découverte des dossiers.",
)
_CATALOGUE["MYUNISOFT-SOCIETIES-PARTIAL"] = (
    _C,
    "MyUnisoft n'a renvoyé qu'une partie des sociétés du cabinet (%1 lues) : les dossiers de paie des autres "
    "sociétés restent sans proposition.",
    "Associez ces dossiers à la main (identifiant de société MyUnisoft), ou contactez le support : MyUnisoft "
    "ne documente pas comment lire les pages suivantes.",
)
# The exactly-once protocol (paysync.usecases.posting) when MyUnisoft's answers leave a doubt.
_CATALOGUE["MYUNISOFT-LOOKUP-REFUSED"] = (
    _C,
    "MyUnisoft a refusé de dire si l'écriture y est déjà (recherche par identifiant d'origine : %1) : "
    "rien n'a été envoyé.",
    "Vérifiez que le jeton MyUnisoft du dossier est actif et autorise la recherche d'écritures "
    "(GET /entry/id ; Paramètres > Connecteurs > Générer pour le régénérer), puis relancez la "
    "synchronisation. Si cela persiste, transmettez ce code et ce request-id au support MyUnisoft.",
)
_CATALOGUE["MYUNISOFT-EXISTS-UNFOUND"] = (
    _D,
    "MyUnisoft indique que cette écriture existe déjà (%1) mais ne la retrouve pas par son identifiant "
    "d'origine : elle n'a pas été envoyée une seconde fois.",
    "Vérifiez dans le journal d'OD PAIE de MyUnisoft que l'écriture de cette période y est. Si oui, rien "
    "à faire : elle sera reconnue à la prochaine synchronisation. Sinon, transmettez ce code et ce "
    "request-id au support MyUnisoft.",
)


def myunisoft_doubt(code: str, *, myunisoft_code: str, request_id: str | None, **details: Any) -> Diagnosis:
    """One of the two diagnoses above, naming MyUnisoft's code and request-id in its message."""
    said = f"code {myunisoft_code}" + (f", request-id {request_id}" if request_id else "")
    return diagnosis(code, arg=said, myunisoft_code=myunisoft_code, request_id=request_id, **details)


# The watch of synced periods (paysync.usecases.watch): the books against Silae and MyUnisoft.
_CATALOGUE["PAIE-MODIFIEE"] = (
    _D,
    "L'OD de paie de %1 a été modifiée dans Silae après son envoi dans MyUnisoft.",
    "Une fois la paie définitive, remplacez-la (« Remplacer » sur la page Périodes, ou POST "
    '/dossiers/{id}/sync avec {"period": …, "replace": true}) : paysync annule la version envoyée et '
    "envoie la nouvelle, une seule fois.",
)
_CATALOGUE["ECRITURE-SUPPRIMEE"] = (
    _D,
    "L'écriture %1 n'est plus dans MyUnisoft.",
    "Si elle a été supprimée par erreur, envoyez-la de nouveau (« Remplacer » sur la page Périodes) : "
    "paysync envoie la version actuelle de Silae, une seule fois.",
)
_CATALOGUE["ECRITURE-MODIFIEE"] = (
    _D,
    "L'écriture %1 a été modifiée dans MyUnisoft après son envoi.",
    "Pour information : un collaborateur l'a peut-être corrigée volontairement. paysync ne la remplace "
    "jamais de lui-même ; vérifiez-la dans MyUnisoft.",
)
_CATALOGUE["PAIE-NON-CLOTUREE"] = (
    _D,
    "La paie de %1 n'est pas encore clôturée dans votre logiciel de paie (période en cours).",
    "Aucune action requise : la période sera récupérée automatiquement une nuit suivante, une fois "
    "la paie clôturée.",
)
