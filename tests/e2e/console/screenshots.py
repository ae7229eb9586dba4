"""`make screenshots`: one PNG per page of the console into docs/screenshots/, taken in headless Chromium on
the stack `make serve` runs (after one night), for the README.

Run: ``python -m tests.e2e.console.screenshots [output directory]``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from tests.contracts import REPO_ROOT
from tests.e2e.console.served import CHROMIUM, CHROMIUM_ARGS, DUPONT, LEMOINE, Console, served_console

OUTPUT = REPO_ROOT / "docs" / "screenshots"
WIDE, TABLET = {"width": 1280, "height": 800}, {"width": 768, "height": 1024}


def main(output: Path = OUTPUT) -> int:
    from playwright.sync_api import sync_playwright

    output.mkdir(parents=True, exist_ok=True)
    with served_console() as served, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        context = browser.new_context(locale="fr-FR", timezone_id="Europe/Paris", viewport=WIDE)
        page = context.new_page()
        page.set_default_timeout(60_000)

        def shot(name: str) -> None:
            page.evaluate("document.activeElement && document.activeElement.blur()")
            page.wait_for_timeout(200)
            page.screenshot(path=output / f"{name}.png", full_page=True)
            print(
                f"  {output.relative_to(REPO_ROOT) if output.is_relative_to(REPO_ROOT) else output}/{name}.png"
            )

        console = Console(page=page, served=served)

        def go(route: str, ready: str) -> None:
            console.go(route)
            page.locator(ready).first.wait_for(state="attached")

        print("console screenshots:")
        page.goto(served.url)
        page.get_by_label("Identifiant du cabinet").wait_for()
        shot("connexion")
        console.sign_in(LEMOINE)
        console.dashboard_loaded()
        shot("tableau-de-bord")
        go("#/dossiers/menuiserie-girard", "tr[data-run]")
        shot("dossier-synchronisation")
        go("#/dossiers/atelier-rousseau", "tr[data-run]")
        run_actions(page)
        shot("dossier-actions")
        go("#/dossiers/menuiserie-girard/comptes", "tr[data-account]")
        shot("liste-des-comptes")
        go("#/dossiers/cafe-gare/parametres", "form")
        shot("dossier-parametres")
        go("#/dossiers/cafe-gare/periodes", "[data-output=period] > *")
        page.locator("[data-output=period] .loading").wait_for(state="detached")
        shot("periodes")
        go("#/cabinet", "form")
        shot("cabinet")
        page.get_by_role("button", name="Se déconnecter").click()
        console.signed_in_at(DUPONT, "#/decouverte")  # the firm with a cabinet token: societies to propose
        page.get_by_role("button", name="Lancer la découverte").click()
        page.locator("[data-output=discovery] .loading").wait_for(state="detached")
        shot("decouverte")
        page.set_viewport_size(TABLET)
        console.visit("#/", None)
        shot("tableau-de-bord-tablette")
        browser.close()
    return 0


def run_actions(page: Any) -> None:
    """« Tester la connexion », then « Synchroniser maintenant » followed to its end."""
    page.get_by_role("button", name="Tester la connexion").click()
    page.locator("[data-output=connection] li[data-check]").first.wait_for()
    page.get_by_role("button", name="Synchroniser maintenant").click()
    page.locator("[data-output=sync] .run-result").wait_for()


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]).resolve() if len(sys.argv) > 1 else OUTPUT))
