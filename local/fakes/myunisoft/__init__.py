"""A stateful fake of the MyUnisoft API Partenaires, faithful to the vendor's docs and contracts.

Serves ``/api/v1/...`` (every route needs ``Authorization: Bearer`` and ``X-Third-Party-Secret``)
and ``/api/partners/health`` (no auth). State is set up with Python admin methods
(``add_partner_secret``, ``add_society``, ``add_society_token``, ``add_cabinet_token``,
``add_diary``, ``add_account``, ``add_exercice``...) and read back with ``entries()``.

What it enforces, in this order, on every ``/api/v1`` call (:mod:`.gateway`):
1. ``Authorization`` must be ``Bearer <token>``: else ``ERR-INVALID-AUTH-HEADER``;
2. ``X-Third-Party-Secret`` present (``ERR-SECRET-HEADER-NOT-SET``), known and active
   (``ERR-INVALID-SECRET``);
3. the token exists and is not revoked (``ERR-API-TOKEN-NOT-FOUND``); any call activates a new key;
4. maintenance (``maintenance = True``): 503 ``ERR-API-UNDER-MAINTENANCE``;
5. a sliding window per token (``rate_limit`` calls per ``rate_window_seconds``): 429
   ``ERR-TOO-MANY-REQUEST``;
6. dossier routes with a cabinet token need ``society-id``: missing, ``SOCIETE10`` "Aucune société
   selectionnée" (400); a society outside the token's schema, ``DROIT1`` (403). A société token
   always works on its own dossier (its ``society-id`` header, if any, is ignored);
7. at most ``concurrency_limit`` calls in flight per token and route: 429
   ``ERR-TOO-MANY-CONCURRENT-REQUEST`` (``route_delays`` slows a route down to reach it).

The gateway codes (``ERR-*``) have no HTTP status in errors.json; the fake's choices: 401 for a
missing or malformed credential or an unknown/revoked token, 403 for an unknown or inactive
partner secret and a forbidden route, 429 for both rate limits, 503 for maintenance.

Every response carries a fresh ``request-id``; every ``/api/v1`` response also carries
``X-Rate-Limit-Remaining``, ``X-Rate-Limit-Reset`` (epoch seconds with a fraction, as in the vendor's
examples, or epoch milliseconds with ``rate_reset_unit = "ms"``) and ``X-Rate-Limit-Total``.
Errors are always ``{"error": {"code", "message", "details": {url, method, requestedAt,
requestId}}}`` with the catalogue's French message; shape errors of ``POST /entry`` add
``details.fields`` (which fields are wrong) without changing the message.

Choices where the docs are silent (a caller must know them). The answers paysync must survive
whatever they are are switches, set per test with ``configure(...)`` (:mod:`.behaviour`):
- ``GET /entry/id?id_origin=`` for an unknown id: ``lookup_not_found``, a 404 ``ENTRY-NOT-FOUND``
  (default) or a 200 whose body is empty, ``null``, ``{}`` or ``[]``;
- a second entry with an ``entry_origin_partner_id`` already used in the dossier: accepted
  (default: ``partner_id_unique`` off, so the fake never protects paysync from itself), or refused
  as ``duplicate_refusal`` says: 400 ``GBL6`` "Cet élément existe déjà.", a 409, or another code
  whose message says the id is used;
- ``lookup_lag_seconds``: the lookup does not see entries younger than that (default 0);
- ``POST /entry?type=e`` answers the shape documented for its sibling ``POST /entry/temp``:
  ``{type, debit_total, credit_total, entry_array: [{entry_id, ...}]}``;
- ``POST /account`` pads an all-digit number shorter than ``account_number_length`` (6) with zeros,
  as the Postman example does (``251`` gives ``251000``);
- ``GET /mad/entries`` (MAD v1.0.0) lists the entries held, in the shape ``mad-schema.json`` gives;
  its open points (bare or wrapped answer, ``journalIds``, refusals, lag) are :mod:`.mad`'s;
- ``pj_list`` contents are base64-decoded leniently (the vendor's own example sends ``"..."``);
  ``entries()`` says whether each attachment was valid base64.

Faults: the generic ones of ``FakeServer`` plus ``rate_limit`` (429 with ``X-Rate-Limit-Reset``
``seconds`` from now, default the window), ``maintenance`` (503), ``concurrency`` (429
``ERR-TOO-MANY-CONCURRENT-REQUEST``) and ``refused`` (the catalogued error ``extra["code"]``,
default ``ERR-FORBIDDEN-ROUTE``); an injected ``status`` fault answers ``ERR-HTTP``.

Where things are: :mod:`.errors` the error catalogue, :mod:`.schema` the NewEntry check,
:mod:`.state` the records and the admin methods, :mod:`.gateway` the rules above, :mod:`.entries`
the posting rules of ``POST /entry``, :mod:`.mad` the MAD listing of entries, :mod:`.routes` one
method per route (:class:`FakeMyUnisoft`).
"""

from local.fakes.myunisoft.behaviour import (
    DUPLICATE_REFUSALS,
    LOOKUP_NOT_FOUND,
    Behaviour,
    DuplicateRefusal,
    LookupNotFound,
    every_behaviour,
)
from local.fakes.myunisoft.errors import CATALOGUE, DUPLICATE_ORIGIN_CODE, GATEWAY_CODES, UNDOCUMENTED
from local.fakes.myunisoft.routes import FakeMyUnisoft
from local.fakes.myunisoft.schema import PJ_TYPES, NewEntry, NewEntryLine, validate_new_entry

__all__ = [
    "CATALOGUE",
    "DUPLICATE_ORIGIN_CODE",
    "DUPLICATE_REFUSALS",
    "GATEWAY_CODES",
    "LOOKUP_NOT_FOUND",
    "PJ_TYPES",
    "UNDOCUMENTED",
    "Behaviour",
    "DuplicateRefusal",
    "FakeMyUnisoft",
    "LookupNotFound",
    "NewEntry",
    "NewEntryLine",
    "every_behaviour",
    "validate_new_entry",
]
