"""The routes of the fake MyUnisoft: each parses its request, reads or writes the state, and
answers the vendor's documented shape. Everything before a route is the gateway's."""

from __future__ import annotations

import json
import time
from typing import Any, Literal

from pydantic import ValidationError

from local.fakes.myunisoft.behaviour import LookupNotFound
from local.fakes.myunisoft.entries import post_entry
from local.fakes.myunisoft.errors import RejectedError
from local.fakes.myunisoft.gateway import MyUnisoftGateway
from local.fakes.myunisoft.mad import BadQueryError, MadListing, list_entries
from local.fakes.myunisoft.schema import DOCUMENT_EXTENSIONS, PJ_MAX_BYTES, field_errors, validate_new_entry
from local.fakes.myunisoft.state import Account, Society, Token
from local.fakes.server import Request, Response


class FakeMyUnisoft(MyUnisoftGateway):
    """The MyUnisoft API Partenaires on 127.0.0.1, in memory."""

    name = "fake-myunisoft"

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        rate_limit: int = 20,
        rate_window_seconds: float = 10.0,
        rate_reset_unit: Literal["s", "ms"] = "s",
        concurrency_limit: int = 10,
        account_number_length: int | None = 6,
    ) -> None:
        super().__init__(
            host,
            port,
            rate_limit=rate_limit,
            rate_window_seconds=rate_window_seconds,
            rate_reset_unit=rate_reset_unit,
            concurrency_limit=concurrency_limit,
        )
        self.account_number_length = account_number_length  # may be changed at any time
        self.mad_entries = MadListing()  # how GET /mad/entries answers (may be changed at any time)
        self.route("GET", "/api/partners/health", self._health)
        self.api("GET", "/api/v1/key/info", self._key_info, dossier=False)
        self.api("GET", "/api/v1/society", self._society, dossier=False)
        self.api("GET", "/api/v1/society/exercice", self._list_exercices)
        self.api("GET", "/api/v1/diary", self._list_diaries)
        self.api("GET", "/api/v1/account", self._list_accounts)
        self.api("GET", "/api/v1/account/v2", self._list_accounts_v2)
        self.api("POST", "/api/v1/account", self._find_or_create_account)
        self.api("POST", "/api/v1/entry", self._create_entry)
        self.api("GET", "/api/v1/entry/id", self._find_entry)
        self.api("POST", "/api/v1/document/add_all_types", self._add_document)
        self.api("GET", "/api/v1/mad/entries", self._mad_entries)

    @property
    def api_url(self) -> str:
        return self.url + "/api/v1"

    # -- routes ----------------------------------------------------------------------------------------
    def _health(self, request: Request) -> Response:
        return Response(body={"status": "ok"})

    def _key_info(self, request: Request, token: Token, _: int | None) -> Response:
        routes = [
            {"path": path.pattern.strip("^$"), "method": method.lower()}
            for method, path, _handler in self._routes
            if path.pattern.startswith("^/api/v1/")
        ]
        if request.query.get("mode") != "extended":
            return Response(body=routes)
        with self.lock:
            third_party = self.partner_secrets[request.header("x-third-party-secret") or ""][0]
        target: dict[str, Any] = {
            "type": token.kind,
            "schemaId": token.schema_id,
            "thirdPartyId": third_party,
        }
        if token.society_id is not None:
            target["societyId"] = token.society_id
        return Response(
            body={
                "target": target,
                "version": {"current": 1, "latest": 1, "beta": False},
                "canBeActivated": True,
                "isActivated": token.activated,
                "routes": routes,
            }
        )

    def _society_body(self, society: Society) -> dict[str, Any]:
        """One society's file (a société token, or ``society-id``): a few of its documented fields."""
        return {
            "society_id": society.society_id,
            "name": society.name,
            "siret": society.siret or "",
            "folder_reference": society.folder_reference,
            "city": {"label": society.city, "value": society.city} if society.city else None,
            "postal_code": society.postal_code,
        }

    def _society_row(self, society: Society) -> dict[str, Any]:
        """A row of the listing, with the fields of the Postman example ("societies")."""
        address = " ".join(part for part in (society.postal_code, society.city, "FRANCE") if part)
        return {
            "ape": None,
            "city": society.city or "",
            "name": society.name,
            "step": "",
            "insee": None,
            "siret": society.siret,
            "status": "",
            "address": address,
            "capital": 0,
            "country": "FRANCE",
            "secured": False,
            "analytics": False,
            "member_id": 1,
            "road_type": None,
            "complement": None,
            "coordonnee": [],
            "society_id": society.society_id,
            "address_bis": None,
            "companyType": "",
            "mail_liasse": None,
            "postal_code": society.postal_code,
            "safe_status": True,
            "street_name": None,
            "address_number": None,
            "enable_quantity": False,
            "id_type_company": 1,
            "folder_reference": society.folder_reference,
        }

    def _society(self, request: Request, token: Token, _: int | None) -> Response:
        if token.kind == "api" or request.header("society-id"):
            target = self.target_society(request, token)
            if isinstance(target, Response):
                return target
            with self.lock:
                return Response(body=self._society_body(self.societies[target]))
        with self.lock:
            rows = [
                self._society_row(s)
                for s in sorted(self.societies.values(), key=lambda s: s.society_id)
                if s.schema_id == token.schema_id
            ]
        # As the Postman example: "row_numbers" (the docs say "rows_number"), no pages.
        return Response(body={"row_numbers": len(rows), "pages_number": None, "society_array": rows})

    def _list_exercices(self, request: Request, token: Token, society_id: int | None) -> Response:
        with self.lock:
            rows = sorted(
                (e for e in self.exercices.values() if e.society_id == society_id),
                key=lambda e: e.start,
                reverse=True,
            )
            body = [
                {
                    "exercice_id": e.exercice_id,
                    "start_date": e.start.strftime("%Y%m%d"),
                    "end_date": e.end.strftime("%Y%m%d"),
                    "label": e.label if e.label is not None else ("N" if index == 0 else f"N-{index}"),
                    "result": 0,
                    "ca": 0,
                    "closed": e.closed,
                    "duration": (e.end.year - e.start.year) * 12 + e.end.month - e.start.month + 1,
                    "closed_at": e.end.strftime("%Y%m%d") if e.closed else None,
                    "closed_by": None,
                    "review_model": {"label": "Modèle Standard Myunisoft", "id_review_model": 1},
                    "lettering_method_id": 1,
                }
                for index, e in enumerate(rows)
            ]
        return Response(body=body)

    def _list_diaries(self, request: Request, token: Token, society_id: int | None) -> Response:
        q, kind, code = request.query.get("q"), request.query.get("type"), request.query.get("code")
        with self.lock:
            rows = [
                {k: v for k, v in d.items() if k != "society_id"}
                for d in self.diaries.values()
                if d["society_id"] == society_id
                and (not kind or d["diary_type_code"] == kind)
                and (not code or d["code"] == code)
                and (not q or q.lower() in d["name"].lower() or q.lower() in d["code"].lower())
            ]
        return Response(body=rows)

    def _list_accounts(self, request: Request, token: Token, society_id: int | None) -> Response:
        mode = request.query.get("mode", "1")
        with self.lock:
            rows = self.accounts_of(
                society_id, account_id=request.query.get("account_id"), begin_by=request.query.get("begin_by")
            )
        if mode == "2":
            array = [
                {
                    "row_number": index,
                    "account_id": a.account_id,
                    "society_id": a.society_id,
                    "account_number": a.number,
                    "label": a.label,
                    "solde": 0,
                    "sens": "",
                    "comment": "",
                    "intraco": False,
                    "btp_autoliquidation": False,
                    "presta": False,
                    "exoneration": False,
                    "das_2": False,
                    "closed": False,
                    "blocked": False,
                    "vat_param": None,
                    "counterpart_account": None,
                    "array_counterpart_account": None,
                    "complementary_informations": None,
                }
                for index, a in enumerate(rows, start=1)
            ]
            return Response(body={"rows_number": len(array), "pages_number": 1, "account_array": array})
        # mode 1: the simplified view; "q" matches the label or the start of the number; limit 5 by default
        q = request.query.get("q")
        if q:
            rows = [a for a in rows if a.number.startswith(q) or q.lower() in a.label.lower()]
        try:
            limit = int(request.query.get("limit", "5"))
        except ValueError:
            limit = 5
        return Response(
            body=[
                {"account_id": a.account_id, "account_number": a.number, "label": a.label}
                for a in rows[:limit]
            ]
        )

    def _list_accounts_v2(self, request: Request, token: Token, society_id: int | None) -> Response:
        account_id = request.query.get("account_id")
        # v2 narrows by the id, or else by the number's start (never both)
        begin_by = None if account_id else request.query.get("begin_by")
        with self.lock:
            rows = self.accounts_of(society_id, account_id=account_id, begin_by=begin_by)
        return Response(
            body=[
                {
                    "das_2": False,
                    "label": a.label,
                    "closed": False,
                    "id_tva": None,
                    "presta": False,
                    "comment": None,
                    "intraco": False,
                    "account_id": a.account_id,
                    "exoneration": False,
                    "param_vat_id": None,
                    "account_number": a.number,
                    "btp_autoliquidation": False,
                    "correspondance_label": None,
                    "id_compte_contrepart": None,
                    "correspondance_no_compte": None,
                }
                for a in rows
            ]
        )

    def _normalise_number(self, number: str) -> str:
        width = self.account_number_length
        if width and number.isdigit() and len(number) < width:
            return number.ljust(width, "0")
        return number

    def _find_or_create_account(self, request: Request, token: Token, society_id: int | None) -> Response:
        body = _json_object(request)
        number = body.get("account_number")
        label = body.get("label")
        if not isinstance(number, str) or not number.strip():
            raise RejectedError("COMPTE3")
        number = number.strip()
        if number[0] not in "123456789":
            raise RejectedError("COMPTE6")
        if len(number) > 20:
            raise RejectedError("COMPTE7")
        number = self._normalise_number(number)
        with self.lock:
            for account in self.accounts_of(society_id):
                if account.number == number:
                    break
            else:
                if not isinstance(label, str) or not label.strip():
                    raise RejectedError("COMPTE4")
                if society_id is None:
                    raise RejectedError("SOCIETE10")
                account = Account(next(self.ids["account"]), society_id, number, label.strip())
                self.accounts[account.account_id] = account
            return Response(
                body={
                    "account_id": account.account_id,
                    "account_number": account.number,
                    "label": account.label,
                    "counterpart_account": None,
                }
            )

    def _create_entry(self, request: Request, token: Token, society_id: int | None) -> Response:
        if society_id is None:
            raise RejectedError("SOCIETE10")
        entry_type = request.query.get("type", "")
        if entry_type.lower() != "e":
            raise RejectedError("ECR17", placeholders=[entry_type])
        try:
            raw = json.loads(request.body.decode("utf-8")) if request.body else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise RejectedError("ECR4", fields=["(body): not JSON"]) from None
        try:
            entry = validate_new_entry(raw)
        except ValidationError as exc:
            lines = raw.get("entry_list") if isinstance(raw, dict) else None
            code = "ECR43" if isinstance(raw, dict) and (lines is None or lines == []) else "ECR4"
            raise RejectedError(code, fields=field_errors(exc)) from None
        with self.lock:
            return Response(body=post_entry(self, society_id, entry, raw, self.request_id()))

    def _find_entry(self, request: Request, token: Token, society_id: int | None) -> Response:
        partner_id = request.query.get("id_origin", "")
        with self.lock:
            behaviour = self.behaviour
            visible_before = time.monotonic() - behaviour.lookup_lag_seconds
            found = [
                entry_id
                for entry_id in self.origin_ids.get((society_id or 0, partner_id), [])
                if self.entry_records[entry_id].record["posted_at"] <= visible_before
            ]
            if not found:
                return self._not_found_answer(request, behaviour.lookup_not_found)
            record = self.entry_records[found[0]].record
            body: dict[str, Any] = {"id_entry": found[0], "type": "ENTRIES"}
            if record["json"] is not None:
                body["json_metadata_partners"] = record["json"]
            return Response(body=body)

    def _not_found_answer(self, request: Request, style: LookupNotFound) -> Response:
        """The lookup's "no such entry", in the style the behaviour chose (undocumented)."""
        if style == "404":
            return self.error(request, "ENTRY-NOT-FOUND")
        bodies = {"200-empty": b"", "200-null": b"null", "200-{}": b"{}", "200-[]": b"[]"}
        return Response(body=bodies[style])

    def _add_document(self, request: Request, token: Token, society_id: int | None) -> Response:
        location = request.query.get("location", "")
        filename = request.query.get("filename_extension", "")
        if location not in ("ENTRIES", "ENTRIES_TEMP"):
            raise RejectedError("ECR4", fields=["location: ENTRIES or ENTRIES_TEMP"])
        try:
            object_id = int(request.query.get("object_id", ""))
        except ValueError:
            raise RejectedError("ECR4", fields=["object_id: not an entry id"]) from None
        if not filename.strip():
            raise RejectedError("DOCUMENT4")
        extension = filename.rpartition(".")[2].lower() if "." in filename else ""
        if extension not in DOCUMENT_EXTENSIONS:
            raise RejectedError("DOCUMENT9")
        if not request.body or len(request.body) > PJ_MAX_BYTES:
            raise RejectedError("DOCUMENT6")
        with self.lock:
            entry = self.entry_records.get(object_id)
            if entry is None or entry.society_id != society_id:
                raise RejectedError("ECR4", fields=["object_id: no such entry in this dossier"])
            document_id = next(self.ids["document"])
            entry.record["attachments"].append(
                {
                    "name": filename,
                    "type": request.header("content-type") or "application/octet-stream",
                    "content": bytes(request.body),
                    "valid_base64": True,
                    "source": "document",
                    "document_id": document_id,
                }
            )
        return Response(body={"document_id": document_id, "name": filename})

    def _mad_entries(self, request: Request, token: Token, society_id: int | None) -> Response:
        how = self.mad_entries
        if how.refusal is not None:
            code = "ERR-FORBIDDEN-ROUTE" if how.refusal == 403 else "ERR-HTTP"
            return self.error(request, code, status=how.refusal)
        try:
            return Response(body=list_entries(self, request, society_id or 0, how, self.url))
        except BadQueryError as bad:
            return self.error(request, "ERR-HTTP", status=400, fields=[str(bad)])


def _json_object(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(request.body.decode("utf-8")) if request.body else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        body = {}
    return body if isinstance(body, dict) else {}
