"""The firm's daily email, in French, rendered from Jinja2 templates (HTML and plain text).

Templates are package files under ``templates/``. HTML templates are autoescaped (a firm or dossier
name may contain ``<``, ``&`` or quotes); plain-text ones are not (nothing to escape in text). An
undefined variable is an error, never a silent blank. Nothing secret is ever given to a template:
the context holds names, masked Client IDs, dates and diagnoses only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from paysync.domain.periods import Period
from paysync.domain.reminders import MAX_RECIPIENTS, Digest, DueReminder, FailedDossier, PeriodFinding

if TYPE_CHECKING:
    from jinja2 import Environment

TEMPLATES = Path(__file__).resolve().parent / "templates"

_MONTHS = (
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
)
_WEEKDAYS = ("lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche")

# The seed's procedure (000_*): regenerate the Client secret on the payroll API portal, then save it.
RENEWAL_STEPS = (
    "Connectez-vous au portail API de votre logiciel de paie et ouvrez « Mes comptes API ».",
    "Sur la ligne du compte API concerné (Client ID {client_id}), cliquez sur les trois petits points, "
    "puis sur « Modifier ».",
    "Dans l'onglet « Gestion des clients secrets », régénérez le Client secret ; une alerte sans "
    "incidence apparaît : cliquez sur « Valider ».",
    "Copiez le nouveau Client secret qui s'affiche (il ne sera plus visible ensuite).",
    "Enregistrez-le dans paysync, {where}, avec sa date de génération (aujourd'hui). Le Client ID et la "
    "clé de configuration ne changent pas.",
    "Cliquez sur « Tester la connexion » pour vérifier que tout fonctionne.",
)


@dataclass(frozen=True)
class OutgoingEmail:
    """A rendered email, ready for any mailer."""

    to: tuple[str, ...]
    subject: str
    text: str
    html: str


@cache
def environment() -> Environment:
    # Imported when the first email is rendered, not when the function starts: a morning with nothing
    # to tell sends none, and importing Jinja costs some 20 ms of CPU, a sixth of ``import boto3``.
    from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(
            enabled_extensions=("html", "html.j2"), disabled_extensions=("txt", "txt.j2"), default=True
        ),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    return env


# ---------------------------------------------------------------------------- French wording


def french_date(day: date) -> str:
    return f"{_WEEKDAYS[day.weekday()]} {day.day} {_MONTHS[day.month - 1]} {day.year}"


def french_period(period: str) -> str:
    try:
        parsed = Period.parse(period)
    except ValueError:
        return period
    return f"{_MONTHS[parsed.month - 1]} {parsed.year}"


def french_moment(moment: datetime, timezone: ZoneInfo) -> str:
    local = moment.astimezone(timezone)
    return f"{french_date(local.date())} à {local.hour:02d} h {local.minute:02d}"


def _expiry_phrase(due: DueReminder, timezone: ZoneInfo) -> str:
    reminder = due.reminder
    on = french_date(reminder.expires_at.astimezone(timezone).date())
    if reminder.expired:
        return f"a expiré le {on}"
    if reminder.days_left == 0:
        return f"expire aujourd'hui, {on}"
    if reminder.days_left == 1:
        return f"expire demain, {on}"
    return f"expire dans {reminder.days_left} jours, le {on}"


def _subject_phrase(due: DueReminder) -> str:
    reminder = due.reminder
    if reminder.expired:
        return "a expiré"
    if reminder.days_left == 0:
        return "expire aujourd'hui"
    if reminder.days_left == 1:
        return "expire demain"
    return f"expire dans {reminder.days_left} jours"


def _one_line(text: str) -> str:
    """Header-safe: no line breaks, no runs of spaces."""
    return " ".join(text.split())


def subject_of(digest: Digest) -> str:
    firm = _one_line(digest.firm.name)
    failures = len(digest.failures)
    if not digest.reminders and not failures:
        names = sorted({f.dossier_name for f in digest.findings})
        where = _one_line(names[0]) if len(names) == 1 else f"{len(names)} dossiers"
        return f"Comptabilité de la paie à vérifier pour {where} — {firm}"
    if digest.reminders:
        subject = f"Votre clé d'API de paie {_subject_phrase(digest.reminders[0])}"
        if failures == 1:
            subject += " et une synchronisation a échoué"
        elif failures > 1:
            subject += f" et {failures} synchronisations ont échoué"
    elif failures == 1:
        subject = f"La synchronisation de la paie a échoué pour {_one_line(digest.failures[0].dossier_name)}"
    else:
        subject = f"La synchronisation de la paie a échoué pour {failures} dossiers"
    return f"{subject} — {firm}"


# ---------------------------------------------------------------------------- context and rendering


def _reminder_context(due: DueReminder, digest: Digest, timezone: ZoneInfo) -> dict[str, Any]:
    credential = due.credential
    if credential.level == "firm":
        scope = "Identifiants de paie du cabinet"
        impact = "tous les dossiers du cabinet qui n'ont pas d'identifiants de paie propres"
        where = "dans les paramètres de paie du cabinet"
    else:
        name = credential.dossier_name or credential.owner_id
        scope = f"Identifiants de paie propres au dossier {name}"
        impact = f"le dossier {name}"
        where = f"dans les paramètres de paie du dossier {name}"
    client_id = credential.info.client_id_masked
    return {
        "scope": scope,
        "impact": impact,
        "client_id": client_id,
        "expired": due.reminder.expired,
        "status": _expiry_phrase(due, timezone),
        "steps": [step.format(client_id=client_id, where=where) for step in RENEWAL_STEPS],
    }


def _failure_context(failure: FailedDossier, timezone: ZoneInfo) -> dict[str, Any]:
    return {
        "dossier": failure.dossier_name,
        "period": french_period(failure.period),
        "when": french_moment(failure.finished_at, timezone) if failure.finished_at else None,
        "diagnoses": [{"code": d.code, "message": d.message, "remedy": d.remedy} for d in failure.diagnoses],
    }


def _finding_context(finding: PeriodFinding) -> dict[str, Any]:
    """The finding, with each entry's lines that differ: « 641100 : 1 000,00 → 1 450,00 »."""
    found = finding.diagnosis
    entries = found.details.get("entries") or [found.details]
    lines = [
        f"{entry.get('label', '')} — compte {d['account']} : {d.get('before') or '—'} → {d.get('after') or '—'}"
        for entry in entries
        for d in entry.get("differences") or []
        if found.code == "PAIE-MODIFIEE"
    ]
    return {
        "dossier": finding.dossier_name,
        "period": french_period(finding.period),
        "code": found.code,
        "message": found.message,
        "remedy": found.remedy,
        "lines": lines,
    }


def context_of(digest: Digest, timezone: ZoneInfo) -> dict[str, Any]:
    return {
        "firm": digest.firm.name,
        "day": french_date(digest.day),
        "subject": subject_of(digest),
        "reminders": [_reminder_context(r, digest, timezone) for r in digest.reminders],
        "failures": [_failure_context(f, timezone) for f in digest.failures],
        "findings": [_finding_context(f) for f in digest.findings],
    }


def render_digest(digest: Digest, timezone: ZoneInfo) -> OutgoingEmail:
    """The firm's email for the day: subject, plain text and HTML, to the digest's recipients."""
    context = context_of(digest, timezone)
    env = environment()
    return OutgoingEmail(
        to=tuple(digest.recipients[:MAX_RECIPIENTS]),
        subject=context["subject"],
        text=env.get_template("digest.txt.j2").render(context),
        html=env.get_template("digest.html.j2").render(context),
    )
