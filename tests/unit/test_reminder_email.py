"""The firm's email (no I/O): French subjects, the renewal procedure, escaping, MIME alternatives."""

from __future__ import annotations

import email
from datetime import UTC, date, datetime, time, timedelta
from email.message import EmailMessage
from email.policy import default
from zoneinfo import ZoneInfo

import pytest

from paysync.domain.diagnoses import diagnosis
from paysync.domain.models import Dossier, Firm, LastRun, PayrollCredentialsInfo, Run, RunStatus
from paysync.domain.reminders import Credential, Digest, DueReminder, due_reminder, failed_dossier
from paysync.email.mime import compose
from paysync.email.render import render_digest, subject_of

PARIS = ZoneInfo("Europe/Paris")
DAY = date(2027, 3, 8)
NOW = datetime.combine(DAY, time(8), tzinfo=PARIS)
NASTY_FIRM = "Cabinet <script>alert(\"x\")</script> & Fils 'SA'"
NASTY_DOSSIER = 'Boulangerie <b>Martin</b> & "Fils"'


def _firm(name: str = "Cabinet X", expires_in: int | None = 7) -> Firm:
    payroll = None
    if expires_in is not None:
        payroll = PayrollCredentialsInfo(
            client_id_masked="cid-…93f0",
            secret_generated_on=date(2026, 1, 1),
            secret_expires_at=datetime.combine(DAY + timedelta(days=expires_in), time(10), tzinfo=PARIS),
        )
    return Firm(firm_id="f1", name=name, contact_emails=["paie@x.fr"], payroll=payroll)


def _due(credential: Credential | None, now: datetime = NOW) -> DueReminder:
    assert credential is not None
    reminder = due_reminder(credential.expires_at, now, PARIS)
    assert reminder is not None
    return DueReminder(credential, reminder)


def _failure(name: str = "Garage Leroy", dossier_id: str = "d1"):  # type: ignore[no-untyped-def]
    dossier = Dossier(
        dossier_id=dossier_id,
        firm_id="f1",
        name=name,
        pending_period="2027-02",
        last_run=LastRun(run_id=f"r-{dossier_id}", period="2027-02", status="failed"),
    )
    run = Run(
        run_id=f"r-{dossier_id}",
        dossier_id=dossier_id,
        firm_id="f1",
        period="2027-02",
        trigger="nightly",
        status=RunStatus.FAILED,
        message_group="firm-f1",
        finished_at=datetime(2027, 3, 8, 1, 40, tzinfo=UTC),
        diagnoses=[diagnosis("SILAE6")],
    )
    failure = failed_dossier(dossier, run)
    assert failure is not None
    return failure


@pytest.mark.parametrize(
    ("expires_in", "hour", "phrase"),
    [
        (7, 8, "expire dans 7 jours"),
        (60, 8, "expire dans 60 jours"),
        (1, 8, "expire demain"),
        (0, 8, "expire aujourd'hui"),
        (0, 11, "a expiré"),
        (-3, 8, "a expiré"),
    ],
)
def test_subject_says_when_the_key_expires_and_for_which_firm(
    expires_in: int, hour: int, phrase: str
) -> None:
    firm = _firm(expires_in=expires_in)
    now = datetime.combine(DAY, time(hour), tzinfo=PARIS)
    digest = Digest(firm=firm, day=DAY, reminders=(_due(Credential.of_firm(firm), now),))
    assert subject_of(digest) == f"Votre clé d'API de paie {phrase} — Cabinet X"


def test_subjects_for_failures_alone_and_together() -> None:
    firm = _firm(expires_in=None)
    one = Digest(firm=firm, day=DAY, failures=(_failure(),))
    assert subject_of(one) == "La synchronisation de la paie a échoué pour Garage Leroy — Cabinet X"
    two = Digest(firm=firm, day=DAY, failures=(_failure(), _failure("Café", "d2")))
    assert subject_of(two) == "La synchronisation de la paie a échoué pour 2 dossiers — Cabinet X"
    firm = _firm()
    both = Digest(firm=firm, day=DAY, reminders=(_due(Credential.of_firm(firm)),), failures=two.failures)
    assert subject_of(both) == (
        "Votre clé d'API de paie expire dans 7 jours et 2 synchronisations ont échoué — Cabinet X"
    )


def test_body_gives_the_renewal_procedure_and_the_failures_with_their_remedies() -> None:
    firm = _firm()
    override = Dossier(
        dossier_id="d9",
        firm_id="f1",
        name="Transports Bernard",
        pending_period="2027-02",
        payroll_override=PayrollCredentialsInfo(
            client_id_masked="cid-…2e77",
            secret_generated_on=date(2026, 3, 20),  # expires 20 March 2027: 12 days, the 15-day reminder
        ),
    )
    digest = Digest(
        firm=firm,
        day=DAY,
        reminders=(_due(Credential.of_firm(firm)), _due(Credential.of_dossier(override))),
        failures=(_failure(),),
    )
    rendered = render_digest(digest, PARIS)
    for body in (rendered.text, rendered.html):
        for words in (
            "lundi 8 mars 2027",
            "expire dans 7 jours, le lundi 15 mars 2027",
            "expire dans 12 jours, le samedi 20 mars 2027",
            "Mes comptes API",
            "« Modifier »",
            "Gestion des clients secrets",
            "régénérez le Client secret",
            "Enregistrez-le dans paysync, dans les paramètres de paie du cabinet",
            "dans les paramètres de paie du dossier Transports Bernard",
            "Tester la connexion",
            "cid-…93f0",
            "cid-…2e77",
            "SILAE13",
            "Garage Leroy",
            "février 2027",
            "SILAE6",
            "Créez dans MyUnisoft un journal de type « OD Paie »",
        ):
            assert words in body.replace("&nbsp;", " "), words
    assert rendered.text.index("Mes comptes API") < rendered.text.index("Enregistrez-le dans paysync")
    assert rendered.to == ("paie@x.fr",)


def test_names_are_escaped_in_html_and_kept_as_is_in_text_and_subject() -> None:
    firm = _firm(NASTY_FIRM)
    digest = Digest(
        firm=firm, day=DAY, reminders=(_due(Credential.of_firm(firm)),), failures=(_failure(NASTY_DOSSIER),)
    )
    rendered = render_digest(digest, PARIS)
    assert "<script>" not in rendered.html and "<b>Martin</b>" not in rendered.html
    assert "Cabinet &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Fils &#39;SA&#39;" in rendered.html
    assert "Boulangerie &lt;b&gt;Martin&lt;/b&gt; &amp; &#34;Fils&#34;" in rendered.html
    assert NASTY_FIRM in rendered.text and NASTY_DOSSIER in rendered.text
    assert rendered.subject.endswith(f"— {NASTY_FIRM}")


def test_a_name_cannot_break_the_subject_header() -> None:
    firm = _firm("Cabinet X\r\nBcc: victim@example.com")
    digest = Digest(firm=firm, day=DAY, reminders=(_due(Credential.of_firm(firm)),))
    rendered = render_digest(digest, PARIS)
    assert "\n" not in rendered.subject and "\r" not in rendered.subject
    message = compose(rendered, sender="paysync@cabinet.fr", reply_to=None, now=NOW)
    parsed = email.message_from_bytes(message.as_bytes(), policy=default)
    assert parsed["Bcc"] is None


def test_mime_has_plain_text_then_html_in_utf8_with_the_headers() -> None:
    firm = _firm(NASTY_FIRM)
    digest = Digest(firm=firm, day=DAY, reminders=(_due(Credential.of_firm(firm)),), failures=(_failure(),))
    rendered = render_digest(digest, PARIS)
    raw = compose(rendered, sender="paysync@cabinet.fr", reply_to="support@cabinet.fr", now=NOW).as_bytes()
    assert raw.isascii()  # 7-bit safe on the wire: quoted-printable bodies, RFC 2047 headers
    parsed = email.message_from_bytes(raw, policy=default)
    assert isinstance(parsed, EmailMessage)
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert all(p.get_content_charset() == "utf-8" for p in parsed.iter_parts())
    assert parsed["Subject"] == rendered.subject
    assert parsed["From"] == "paysync <paysync@cabinet.fr>"
    assert parsed["To"] == "paie@x.fr"
    assert parsed["Reply-To"] == "support@cabinet.fr"
    assert parsed["Content-Language"] == "fr"
    plain = parsed.get_body(preferencelist=("plain",))
    html = parsed.get_body(preferencelist=("html",))
    assert plain is not None and html is not None
    # SMTP line endings on the wire; the same content once decoded.
    assert plain.get_content().replace("\r\n", "\n") == rendered.text
    assert html.get_content().replace("\r\n", "\n") == rendered.html
    no_reply_to = email.message_from_bytes(
        compose(rendered, sender="paysync@cabinet.fr", reply_to=None, now=NOW).as_bytes(), policy=default
    )
    assert no_reply_to["Reply-To"] is None
