"""The period view and the replace through the HTTP API (template routes, authorizer, local stack)."""

from __future__ import annotations

from decimal import Decimal

from local.books import add_a_bonus
from tests.harness import drain, run_a_watch, run_nightly, society_entries
from tests.integration.api.conftest import Api
from tests.integration.conftest import NIGHT

GARAGE = "/dossiers/garage-leroy"


def test_a_period_is_shown_entry_by_entry_then_replaced_after_a_correction(api: Api) -> None:
    period = str(api.world.period)
    run_nightly(api.env, NIGHT)
    drain(api.env)
    records = api.ok("GET", f"{GARAGE}/periods/{period}", key=api.dupont)
    assert records["live"] is False and records["replaceable"] == 0
    assert [e["state"] for e in records["entries"]] == ["in_sync", "in_sync"]
    first = records["entries"][0]
    assert first["version"] == 1 and first["entry_id"] and first["posted_totals"] == first["current_totals"]

    api.env.silae.correct_payroll("000102", api.world.period, add_a_bonus(Decimal("300.00")))
    live = api.ok("GET", f"{GARAGE}/periods/{period}?live=true", key=api.dupont)
    assert live["live"] is True and live["replaceable"] == 1
    changed = live["entries"][0]
    assert changed["state"] == "changed_in_silae"
    assert {(d["account"], d["before"], d["after"]) for d in changed["differences"]} == {
        ("641100", "23780.50", "24080.50"),
        ("421000", "18299.10", "18599.10"),
    }
    assert [d["code"] for d in live["diagnoses"]] == ["PAIE-MODIFIEE"]
    assert len(society_entries(api.env, 102)) == 2  # a live look posts nothing

    preview = api.ok(
        "POST", f"{GARAGE}/sync", key=api.dupont, json={"period": period, "replace": True, "dry_run": True}
    )
    assert [(e["step"], e["version"], e["status"]) for e in preview["entries"]] == [
        ("reversal", 1, "would_post"),
        ("entry", 2, "would_post"),
    ]
    assert len(society_entries(api.env, 102)) == 2

    accepted = api.ok(
        "POST", f"{GARAGE}/sync", key=api.dupont, json={"period": period, "replace": True}, status=202
    )
    drain(api.env)
    run = api.ok("GET", f"/runs/{accepted['run_id']}", key=api.dupont)
    assert run["kind"] == "replace" and run["status"] == "succeeded" and run["posted"] == 2
    assert len(society_entries(api.env, 102)) == 4
    after = api.ok("GET", f"{GARAGE}/periods/{period}?live=true", key=api.dupont)
    assert [(e["state"], e["version"]) for e in after["entries"]] == [("in_sync", 2), ("in_sync", 1)]
    records = api.ok("GET", f"{GARAGE}/periods/{period}", key=api.dupont)
    assert [(e["state"], e["version"]) for e in records["entries"]] == [("in_sync", 2), ("in_sync", 1)]
    assert api.ok("GET", f"{GARAGE}/status", key=api.dupont)["findings"] == []  # replaced: nothing open


def test_the_status_panel_shows_what_the_watch_found(api: Api) -> None:
    period = api.world.period
    run_nightly(api.env, NIGHT)
    drain(api.env)
    api.env.silae.correct_payroll("000102", period, add_a_bonus(Decimal("300.00")))
    run_a_watch(api.env.services, "watch-status", "garage-leroy", str(period))
    status = api.ok("GET", f"{GARAGE}/status", key=api.dupont)
    assert [d["code"] for d in status["findings"]] == ["PAIE-MODIFIEE"]
    assert status["state"] == "up_to_date"  # the sync's state: a watch is not the last sync
    records = api.ok("GET", f"{GARAGE}/periods/{period}", key=api.dupont)
    assert [e["state"] for e in records["entries"]] == ["changed_in_silae", "in_sync"]
    assert records["checked_at"] is not None and records["replaceable"] == 1


def test_the_period_view_follows_the_other_dossier_routes_rules(api: Api) -> None:
    period = str(api.world.period)
    assert api.call("GET", f"{GARAGE}/periods/{period}").status_code == 401
    # another firm's dossier is answered as a missing one
    assert api.call("GET", f"{GARAGE}/periods/{period}", key=api.lemoine).status_code == 404
    assert api.call("GET", f"/dossiers/nope/periods/{period}", key=api.dupont).status_code == 404
    assert api.call("GET", f"{GARAGE}/periods/2026-13", key=api.dupont).status_code in (400, 422)
    empty = api.ok("GET", f"{GARAGE}/periods/{period}", key=api.dupont)
    assert empty["entries"] == [] and empty["checked_at"] is None


def test_the_watch_settings_are_a_dossier_s_settings(api: Api) -> None:
    saved = api.ok(
        "PUT",
        GARAGE,
        key=api.dupont,
        json={"watch_days": 90, "watch_interval_days": 14, "auto_replace_corrections": True},
    )
    assert (saved["watch_days"], saved["watch_interval_days"], saved["auto_replace_corrections"]) == (
        90,
        14,
        True,
    )
    assert api.call("PUT", GARAGE, key=api.dupont, json={"watch_interval_days": 0}).status_code in (400, 422)
