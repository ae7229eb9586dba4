"""`make demo`: the nightly payroll pull, end to end, on the embedded local stack.

Starts moto server (AWS, resources created from template.yaml) and the two vendor fakes on
127.0.0.1, seeds two firms and nine dossiers, invokes ``nightly_pull`` with its sample event,
drains the FIFO queue through ``sync_worker`` as Lambda would, prints what happened per dossier,
then runs the same night again to show that nothing is posted twice; the morning's emails; then a
correction made in Silae after posting, found by the next watch and replaced (``local.demo_books``).

Every base URL comes from the environment (SILAE_AUTH_URL, SILAE_API_URL, MYUNISOFT_API_URL):
set them to point the same run at other servers; unset, the embedded fakes are used.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
# The library's logger is created at import: quiet it before anything imports paysync.
os.environ.setdefault("POWERTOOLS_LOG_LEVEL", "WARNING")


@dataclass
class Stack:
    env: dict[str, str]
    silae: Any
    myunisoft: Any
    resources: Any


@contextmanager
def local_stack(extra_env: dict[str, str] | None = None) -> Iterator[Stack]:
    """moto server + fakes, with the functions' environment (from template.yaml) exported."""
    from local.fakes.myunisoft import FakeMyUnisoft
    from local.fakes.silae import FakeSilae
    from local.stack import LocalStack

    silae, myunisoft = FakeSilae(), FakeMyUnisoft()
    # As a new deployment meets MyUnisoft: nothing its docs do not promise (no partner-id uniqueness).
    myunisoft.configure(partner_id_unique=False)
    silae.start()
    myunisoft.start()
    stack = LocalStack()
    try:
        resources = stack.start()
        env = resources.function_environment("SyncWorkerFunction")
        env.update(resources.function_environment("NightlyPullFunction"))
        env.update(resources.function_environment("KeyExpiryRemindersFunction"))
        env.update(
            {
                "SILAE_AUTH_URL": os.environ.get("SILAE_AUTH_URL", silae.auth_url),
                "SILAE_API_URL": os.environ.get("SILAE_API_URL", silae.api_url),
                "MYUNISOFT_API_URL": os.environ.get("MYUNISOFT_API_URL", myunisoft.api_url),
                "POWERTOOLS_TRACE_DISABLED": "true",
                "POWERTOOLS_METRICS_DISABLED": "true",
                "POWERTOOLS_LOG_LEVEL": os.environ["POWERTOOLS_LOG_LEVEL"],
                "HTTP_BACKOFF_SECONDS": os.environ.get("HTTP_BACKOFF_SECONDS", "0.2"),
                **(extra_env or {}),
            }
        )
        os.environ.update(env)
        _reset_library_caches()
        yield Stack(env=env, silae=silae, myunisoft=myunisoft, resources=resources)
    finally:
        stack.stop()
        silae.stop()
        myunisoft.stop()
        _reset_library_caches()


def _reset_library_caches() -> None:
    """Handlers cache settings and clients per container; a new stack is a new container."""
    from paysync.entrypoints import reset_container_state

    reset_container_state()


def load_event(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((REPO / "events" / f"{name}.json").read_text(encoding="utf-8"))
    return data


def run_night(queue_url: str, night: date | None = None) -> tuple[dict[str, Any], Any]:
    """Invoke nightly_pull with its sample event, then drain the queue through sync_worker."""
    from functions.nightly_pull import app as nightly_app
    from functions.sync_worker import app as worker_app
    from local.executor import drain
    from local.lambda_runtime import fake_context

    event = load_event("nightly_pull")
    if night is not None:
        event["night"] = night.isoformat()
    plan = nightly_app.handler(event, fake_context("NightlyPullFunction"))
    report = drain(queue_url, worker_app.handler)
    return plan, report


STATUS_FR = {
    "succeeded": "OK",
    "partial": "PARTIEL",
    "blocked": "BLOQUÉ",
    "failed": "ÉCHEC",
    "no_data": "RIEN À IMPORTER",
    "retrying": "NOUVEL ESSAI",
    "queued": "EN ATTENTE",
    "running": "EN COURS",
}


def summarise(world: Any, myunisoft: Any) -> str:
    from paysync.entrypoints import services

    svc = services()
    out: list[str] = []
    for item in world.dossiers:
        d = item.dossier
        runs = svc.runs.list_for_dossier(d.dossier_id, limit=1)
        society_entries = myunisoft.entries(d.society_id) if d.society_id else []
        out.append(f"\n■ {d.name}  [{d.dossier_id}]  — attendu : {item.expect}")
        if not runs:
            out.append(
                "    aucune synchronisation cette nuit (récupération automatique désactivée ou pas encore due)"
            )
            continue
        run = runs[0]
        attached = sum(len(e.get("pj_list") or e.get("attachments") or []) for e in society_entries)
        out.append(
            f"    statut : {STATUS_FR.get(run.status.value, run.status.value)} | période {run.period} | "
            f"écritures postées : {run.posted} | déjà présentes : {run.already_posted} | bloquées : {run.blocked} | "
            f"pièces jointes : {run.files_attached}"
        )
        out.append(f"    dans MyUnisoft : {len(society_entries)} écriture(s), {attached} pièce(s) jointe(s)")
        for entry in run.entries:
            ids = f"id {entry.entry_id}, request-id {entry.request_id}" if entry.entry_id else ""
            out.append(
                f"      - {entry.label} : {entry.status} (D {entry.debit} / C {entry.credit}) {ids}".rstrip()
            )
            for diag in entry.diagnoses:
                out.append(f"          {diag.code} — {diag.message}\n          → {diag.remedy}")
        for diag in run.diagnoses:
            out.append(f"    {diag.code} — {diag.message}\n    → {diag.remedy}")
    return "\n".join(out)


def drained(report: Any) -> str:
    return (
        f"{report.invocations} invocation(s), {report.successes} message(s) traité(s), "
        f"{report.failures} remis en file"
    )


def main() -> int:
    from local.demo_data import seed
    from paysync.entrypoints import services, today_in

    with local_stack() as stack:
        svc = services()
        night = today_in(svc.settings.timezone)
        world = seed(stack.silae, stack.myunisoft, svc.config, svc.secrets, night)
        queue_url = stack.env["SYNC_QUEUE_URL"]
        print(f"paysync demo — nuit du {night.isoformat()}, période {world.period} — pile locale :")
        print(f"  AWS (moto)  {stack.resources.endpoint_url}")
        print(f"  Silae       {stack.env['SILAE_API_URL']}")
        print(f"  MyUnisoft   {stack.env['MYUNISOFT_API_URL']}")

        plan, report = run_night(queue_url)
        print(
            f"\n1) nightly_pull : {plan['due']} dossier(s) dû(s), {plan['created']} run(s) créé(s) et mis en file"
        )
        print(f"   sync_worker : {drained(report)}")
        print(summarise(world, stack.myunisoft))
        before = {
            d.dossier.society_id: len(stack.myunisoft.entries(d.dossier.society_id))
            for d in world.dossiers
            if d.dossier.society_id
        }

        plan2, report2 = run_night(queue_url)
        after = {s: len(stack.myunisoft.entries(s)) for s in before}
        new = sum(after.values()) - sum(before.values())
        print(
            f"\n2) même nuit relancée : {plan2['created']} run créé, {plan2['already_handled']} déjà traité(s); "
            f"sync_worker : {drained(report2)}"
        )
        print(f"   écritures nouvelles dans MyUnisoft : {new} (jamais deux fois la même)")
        if new != 0:
            print("ERREUR : une écriture a été postée deux fois", file=sys.stderr)
            return 1
        if not show_reminders(stack):
            return 1
        from local.demo_books import show_books_true_to_silae

        if not show_books_true_to_silae(stack, world, queue_url):
            return 1
    return 0


EMAILS_DIR = REPO / ".demo" / "emails"


def show_reminders(stack: Stack) -> bool:
    """The morning after: key-expiry reminders and failure alerts, one email per firm, then again."""
    from functions.key_expiry_reminders import app
    from local.lambda_runtime import fake_context
    from local.ses import sent_emails

    resources = stack.resources
    account, region = resources.pseudo_parameters["AWS::AccountId"], resources.region
    result = app.handler(load_event("key_expiry_reminders"), fake_context("KeyExpiryRemindersFunction"))
    emails = sent_emails(account, region)
    print(
        f"\n3) key_expiry_reminders (le matin) : {result['reminders_due']} rappel(s) d'expiration, "
        f"{result['failures_due']} dossier(s) en échec → {result['emails_sent']} e-mail(s), un par cabinet"
    )
    EMAILS_DIR.mkdir(parents=True, exist_ok=True)
    for firm_id, sent in zip(result["firms_emailed"], emails, strict=True):
        html_path = EMAILS_DIR / f"{firm_id}.html"
        html_path.write_text(sent.html, encoding="utf-8")
        print(f"\n   ─── e-mail {sent.message_id} ───")
        print(f"   À : {sent.message['To']}")
        print(f"   Objet : {sent.subject}")
        print("   " + sent.text.strip().replace("\n", "\n   "))
        print(f"   (version HTML : {html_path.relative_to(REPO)})")
    again = app.handler(load_event("key_expiry_reminders"), fake_context("KeyExpiryRemindersFunction"))
    print(
        f"\n4) rappels relancés le même matin : {again['reminders_due'] + again['failures_due']} élément "
        f"restant à signaler, {again['emails_sent']} e-mail envoyé (jamais deux fois le même)"
    )
    if again["emails_sent"] != 0 or len(sent_emails(account, region)) != len(emails):
        print("ERREUR : un e-mail a été envoyé deux fois", file=sys.stderr)
        return False
    return True


if __name__ == "__main__":
    sys.exit(main())
