"""`make demo`, after the night and the morning: the books stay true to Silae.

A payroll manager adds a bonus to Garage Leroy's payroll after it was posted; the next watch of the
period finds it (PAIE-MODIFIEE, with the lines that differ); the firm replaces it (the reversal of
the posted version, then version 2, each once); the month's books, debit and credit per account,
before and after, and equal to Silae's OD; a second replace posts nothing.
"""

from __future__ import annotations

import sys
from datetime import timedelta
from decimal import Decimal
from typing import Any

DOSSIER, SOCIETY, NUMBER = "garage-leroy", 102, "000102"
BONUS = Decimal("450.00")


def print_books(title: str, books: dict[str, tuple[Decimal, Decimal]]) -> None:
    """Debit and credit per MyUnisoft account, and their totals."""
    print(f"   {title}")
    print(f"      {'compte':<8} {'débit':>12} {'crédit':>12}")
    for account, (debit, credit) in books.items():
        print(f"      {account:<8} {debit:>12} {credit:>12}")
    total_debit = sum((d for d, _ in books.values()), Decimal("0.00"))
    total_credit = sum((c for _, c in books.values()), Decimal("0.00"))
    print(f"      {'total':<8} {total_debit:>12} {total_credit:>12}")


def show_books_true_to_silae(stack: Any, world: Any, queue_url: str) -> bool:
    from functions.sync_worker import app as worker_app
    from local.books import add_a_bonus, books, books_net, linked_numbers, silae_net
    from local.demo import run_night
    from local.executor import drain
    from paysync.domain.models import Run
    from paysync.entrypoints import services

    svc = services()
    period = world.period
    numbers = linked_numbers(svc.links, DOSSIER)
    print(
        f"\n5) Correction dans Silae après l'envoi : une prime de {BONUS} € sur la paie de Garage Leroy ({period})"
    )
    print_books(
        "Comptabilité de la période dans MyUnisoft (écritures paysync), avant :",
        books(stack.myunisoft, SOCIETY, period, numbers=numbers),
    )
    stack.silae.correct_payroll(NUMBER, period, add_a_bonus(BONUS))

    watch_night = svc.clock().date() + timedelta(days=7)
    plan, _report = run_night(queue_url, watch_night)
    watches = [r for r in svc.runs.list_for_dossier(DOSSIER, limit=10) if r.kind == "watch"]
    print(
        f"\n6) Nuit du {watch_night.isoformat()} : {plan['watches']} surveillance(s) de périodes synchronisées"
    )
    if not watches:
        print("ERREUR : aucune surveillance de Garage Leroy", file=sys.stderr)
        return False
    for found in watches[0].diagnoses:
        print(f"   {found.code} — {found.message}")
        for entry in found.details.get("entries", []):
            print(
                f"      {entry['label']} : envoyé D {entry['posted_totals']['debit']} / C "
                f"{entry['posted_totals']['credit']} → Silae D {entry['current_totals']['debit']} / C "
                f"{entry['current_totals']['credit']}"
            )
            for line in entry["differences"]:
                print(f"        compte {line['account']} : {line['before']} → {line['after']}")
        print(f"   → {found.remedy}")

    dossier = svc.config.get_dossier(DOSSIER)
    if dossier is None:
        print(f"ERREUR : le dossier {DOSSIER} n'existe pas", file=sys.stderr)
        return False
    posted_steps = 0
    for attempt in ("1", "2"):
        run = Run(
            run_id=f"demo-replace-{attempt}-{period}",
            dossier_id=DOSSIER,
            firm_id=dossier.firm_id,
            period=str(period),
            trigger="on_demand",
            kind="replace",
            message_group=dossier.message_group,
        )
        svc.runs.create(run)
        svc.queue.send([run])
        drain(queue_url, worker_app.handler)
        done = svc.runs.get(run.run_id)
        if done is None:
            print("ERREUR : le remplacement n'a pas été enregistré", file=sys.stderr)
            return False
        if attempt == "1":
            print(f"\n7) Remplacement (POST /dossiers/{DOSSIER}/sync, replace) : {done.status.value}")
            for entry in done.entries:
                what = "annulation de la version" if entry.step == "reversal" else "nouvelle version"
                print(
                    f"   {what} {entry.version} : {entry.partner_id} → {entry.status}, id MyUnisoft {entry.entry_id}"
                )
        else:
            posted_steps = done.posted
            print(
                f"\n9) Remplacement relancé : {done.posted} écriture envoyée (jamais deux fois la même étape)"
            )
        if attempt == "1":
            print("\n8) Comptabilité de la période dans MyUnisoft (écritures paysync), après :")
            print_books(
                "(la version 1, son annulation et la version 2)",
                books(stack.myunisoft, SOCIETY, period, numbers=numbers),
            )
            same = books_net(stack.myunisoft, SOCIETY, period, numbers) == silae_net(
                stack.silae, NUMBER, period
            )
            print(f"   Solde par compte égal à l'OD de paie actuelle de Silae : {'oui' if same else 'NON'}")
            if not same:
                print("ERREUR : la comptabilité diffère de Silae", file=sys.stderr)
                return False
    return posted_steps == 0
