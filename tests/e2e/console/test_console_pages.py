"""The console as firm staff read it: signing in, the dashboard, isolation between firms, the key's life,
errors as the API says them, keyboard, contrast and tablet width. Nothing here changes the stack."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from tests.e2e.console.served import DUPONT, LEMOINE, Console, Served

pytestmark = pytest.mark.e2e

WRONG_KEY = "psk_0123456789abcdef_" + "A" * 43  # well formed, unknown
DUPONT_DOSSIERS = {
    "boulangerie-martin": "up_to_date",
    "garage-leroy": "up_to_date",
    "pharmacie-centre": "failed",  # SILAE10
    "transports-bernard": "failed",  # SubscriptionKeyInvalid
}


def api(served: Served, path: str, firm: str = DUPONT) -> Any:
    answer = httpx.get(
        f"{served.url}v1{path}", headers={"Authorization": f"Bearer {served.keys[firm]}"}, timeout=30
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_the_demo_firm_signs_in_and_sees_every_dossier_with_its_status(console: Console) -> None:
    console.signed_in_at(DUPONT)
    page = console.page
    rows = page.locator("tr[data-dossier]")
    shown = {rows.nth(i).get_attribute("data-dossier"): rows.nth(i) for i in range(rows.count())}
    assert set(shown) == set(DUPONT_DOSSIERS)
    words = {"up_to_date": "À jour", "failed": "En échec"}
    for dossier, status in DUPONT_DOSSIERS.items():
        assert shown[dossier].get_attribute("data-status") == status
        assert shown[dossier].locator(".badge").inner_text() == words[status]
    assert page.locator("[data-count=up_to_date] .count__number").inner_text() == "2"
    assert page.locator("[data-count=failed] .count__number").inner_text() == "2"
    assert "Cabinet Dupont & Associés" in page.locator("#firm-name").inner_text()


def test_a_failing_dossier_shows_the_api_s_message_and_remedy(console: Console) -> None:
    console.signed_in_at(DUPONT)
    blocking = api(console.served, "/dossiers/pharmacie-centre/status")["blocking"][0]
    assert blocking["code"] == "SILAE10"
    cell = console.page.locator("tr[data-dossier=pharmacie-centre] td.blocking")
    assert blocking["message"] in cell.inner_text()
    assert f"Que faire : {blocking['remedy']}" in cell.inner_text()
    # The dossier's own page says the same, and its history names the night's run.
    console.page.get_by_role("link", name="Pharmacie du Centre").click()
    console.page.get_by_role("heading", name="Ce qui bloque").wait_for()
    assert blocking["remedy"] in console.page.locator("main").inner_text()
    assert console.page.locator("tr[data-run]").count() == 1


def test_search_and_the_status_filter_narrow_the_list(console: Console) -> None:
    console.signed_in_at(DUPONT)
    page = console.page
    page.get_by_label("Rechercher un dossier").fill("pharma")
    assert page.locator("tr[data-dossier]").count() == 1
    page.get_by_label("Rechercher un dossier").fill("")
    page.get_by_label("Filtrer par statut").select_option("up_to_date")
    names = {page.locator("tr[data-dossier]").nth(i).get_attribute("data-dossier") for i in range(2)}
    assert names == {"boulangerie-martin", "garage-leroy"} and page.locator("tr[data-dossier]").count() == 2
    page.locator("[data-count=failed]").click()
    assert page.locator("tr[data-dossier]").count() == 2
    assert page.get_by_label("Filtrer par statut").input_value() == "failed"


def test_a_wrong_key_is_refused_and_never_kept(console: Console) -> None:
    console.sign_in(DUPONT, WRONG_KEY)
    page = console.page
    page.locator(".alert--error").wait_for()
    assert "Connexion refusée." in page.locator("main").inner_text()
    assert "Authentification requise" in page.locator(".alert--error").inner_text()  # the API's 401 text
    assert console.storage() == {"session": {}, "local": {}, "cookies": ""}
    assert page.locator("#nav").is_hidden()


def test_another_firm_s_dossier_is_never_shown(console: Console) -> None:
    console.signed_in_at(DUPONT)
    page = console.page
    for name in ("Café de la Gare", "Menuiserie Girard", "Librairie Morel"):
        assert name not in page.locator("main").inner_text()
    console.go("#/dossiers/cafe-gare")
    page.locator(".alert--error").wait_for()
    text = page.locator("main").inner_text()
    # The API answers another firm's dossier as a missing one: the console shows its words.
    assert "Le dossier « cafe-gare » n'existe pas." in text and "(HTTP 404)" in text
    assert "Café de la Gare" not in text and "000201" not in text
    console.go("#/dossiers/cafe-gare/comptes")
    page.locator(".alert--error").wait_for()
    assert "Café de la Gare" not in page.locator("main").inner_text()


def test_the_key_lives_in_session_storage_only_and_goes_with_se_deconnecter(console: Console) -> None:
    key = console.served.keys[DUPONT]
    console.signed_in_at(DUPONT)
    stored = console.storage()
    assert stored["session"] == {"paysync.apiKey": key, "paysync.firmId": DUPONT}
    assert stored["local"] == {} and stored["cookies"] == ""
    assert all(key not in url for url in console.urls)
    assert key not in console.page.content()
    console.page.get_by_role("button", name="Se déconnecter").click()
    console.page.get_by_label("Clé d'API").wait_for()
    assert console.storage() == {"session": {}, "local": {}, "cookies": ""}
    # Back to the dashboard's address: the key prompt, not the dossiers.
    console.go("#/")
    assert console.page.locator("tr[data-dossier]").count() == 0


def test_an_api_refusal_is_shown_with_its_french_message_and_details(console: Console) -> None:
    console.signed_in_at(DUPONT, "#/dossiers/garage-leroy/parametres")
    page = console.page
    page.get_by_label("Jour de récupération (1 à 31)").fill("40")
    page.get_by_role("button", name="Enregistrer").click()
    alert = page.locator(".alert--error")
    alert.wait_for()
    assert "La requête contient des valeurs invalides." in alert.inner_text()
    assert "run_day : doit être inférieur ou égal à 31" in alert.inner_text()
    assert api(console.served, "/dossiers/garage-leroy")["run_day"] != 40


def test_a_401_during_the_session_returns_to_the_key_prompt(console: Console) -> None:
    console.signed_in_at(DUPONT)
    # The key stops working (revoked, say): the next call is refused and the console asks for a key.
    console.page.evaluate(f"sessionStorage.setItem('paysync.apiKey', '{WRONG_KEY}')")
    console.go("#/cabinet")
    console.page.get_by_label("Clé d'API").wait_for()
    assert "Authentification requise" in console.page.locator(".alert--error").inner_text()
    assert console.storage()["session"] == {}


def test_the_expiry_banner_counts_the_days_left(console: Console) -> None:
    console.signed_in_at(LEMOINE)
    firm = api(console.served, f"/firms/{LEMOINE}", LEMOINE)
    expires = firm["payroll"]["secret_expires_on"]
    day, month, year = expires[8:10], expires[5:7], expires[0:4]
    banner = console.page.locator("[data-banner=expiry]")
    assert "expire dans" in banner.inner_text() and f"(le {day}/{month}/{year})" in banner.inner_text()
    days = console.page.evaluate(
        "iso => Math.round((Date.parse(iso) - Date.parse(new Intl.DateTimeFormat('en-CA', {timeZone: 'Europe/Paris'}).format(new Date()))) / 864e5)",
        expires,
    )
    assert 0 <= days <= 60 and f"expire dans {days} jour" in banner.inner_text()
    console.page.get_by_role("button", name="Se déconnecter").click()
    console.sign_in(DUPONT)  # 200 days left: no banner
    console.dashboard_loaded()
    assert console.page.locator("[data-banner=expiry]").count() == 0


FOCUSABLE = (
    "a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea, summary, "
    "[tabindex]:not([tabindex='-1'])"
)


def tab_through(console: Console) -> None:
    """Tab from the top of the page: every visible control is reached, each with a visible focus ring."""
    page = console.page
    expected = page.evaluate(
        """selector => [...document.querySelectorAll(selector)]
            .filter(e => e.getClientRects().length && getComputedStyle(e).visibility !== 'hidden')
            .map((e, i) => { e.dataset.kbd = String(i); return String(i); })""",
        FOCUSABLE,
    )
    page.evaluate("document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0)")
    page.locator("body").focus()
    reached: set[str] = set()
    for _ in range(len(expected) + 10):
        page.keyboard.press("Tab")
        focused = page.evaluate(
            """() => { const e = document.activeElement; const s = getComputedStyle(e);
                return {kbd: e.dataset.kbd || null, ring: s.outlineStyle !== 'none' || s.boxShadow !== 'none'}; }"""
        )
        if focused["kbd"] is not None:
            reached.add(focused["kbd"])
            assert focused["ring"], focused
    assert set(expected) <= reached, f"{len(set(expected) - reached)} control(s) never reached by Tab"


def test_the_keyboard_reaches_every_control_with_a_visible_focus(console: Console) -> None:
    console.signed_in_at(DUPONT)
    tab_through(console)
    console.go("#/dossiers/boulangerie-martin")
    console.page.get_by_role("heading", name="Historique").wait_for()
    tab_through(console)
    # Activating with the keyboard: a dossier's link opens it.
    console.go("#/")
    console.dashboard_loaded()
    console.page.get_by_role("link", name="Garage Leroy").focus()
    console.page.keyboard.press("Enter")
    console.page.get_by_role("heading", name="Garage Leroy").wait_for()


CONTRAST = """() => {
  const parse = c => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(/[\\s,/]+/).filter(Boolean).map(Number); return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1]; };
  const over = (top, under) => [0, 1, 2].map(i => top[i] * top[3] + under[i] * (1 - top[3])).concat(1);
  const background = el => { const layers = [];
    for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; } }
    return layers.reverse().reduce((under, top) => over(top, under), [255, 255, 255, 1]); };
  const luminance = c => { const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(c[0]) + 0.7152 * f(c[1]) + 0.0722 * f(c[2]); };
  const failures = []; const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) { const node = walker.currentNode; const el = node.parentElement;
    if (!node.textContent.trim() || !el || el instanceof SVGElement || !el.getClientRects().length) continue;
    if (el.closest('.skip-link')) continue;
    const style = getComputedStyle(el); const back = background(el); const fore = over(parse(style.color), back);
    const [a, b] = [luminance(fore), luminance(back)]; const ratio = (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
    const size = parseFloat(style.fontSize); const large = size >= 24 || (parseInt(style.fontWeight) >= 700 && size >= 18.66);
    if (ratio < (large ? 3 : 4.5)) failures.push(`${node.textContent.trim().slice(0, 40)}: ${ratio.toFixed(2)}`); }
  return failures; }"""


# Lemoine's pages, each with the text that says it is drawn.
PAGES = (
    ("#/", None),
    ("#/dossiers/menuiserie-girard", "Historique"),
    ("#/dossiers/menuiserie-girard/comptes", "Comptes de paie du dossier"),
    ("#/dossiers/menuiserie-girard/parametres", "Modifier les paramètres"),
    ("#/cabinet", "Modifier le cabinet"),
)


def test_every_text_meets_wcag_aa_contrast(console: Console) -> None:
    console.signed_in_at(LEMOINE)
    for route, ready in PAGES:
        console.visit(route, ready)
        assert console.page.evaluate(CONTRAST) == [], route


def test_pages_fit_a_tablet_s_width(console: Console) -> None:
    console.page.set_viewport_size({"width": 768, "height": 1024})
    console.signed_in_at(LEMOINE)
    for route, ready in PAGES:
        console.visit(route, ready)
        overflow = console.page.evaluate(
            "() => [document.documentElement.scrollWidth, document.documentElement.clientWidth]"
        )
        assert overflow[0] <= overflow[1], (route, overflow)
        wide = console.page.evaluate(
            "() => [...document.querySelectorAll('.table-wrap')].filter(w => w.scrollWidth > w.clientWidth + 1).length"
        )
        assert wide == 0, route  # tables become cards instead of scrolling sideways


def test_the_period_view_shows_each_entry_s_state(console: Console) -> None:
    console.signed_in_at(DUPONT, "#/dossiers/boulangerie-martin/periodes")
    row = console.page.locator("tr[data-state]").first
    row.wait_for()
    assert row.get_attribute("data-state") == "in_sync"
    assert "À jour" in row.inner_text()
