"""A stateful fake of Silae: the OAuth2 token endpoint and the Paie REST API behind API Management.

One server serves both ``POST /oauth2/v2.0/token`` (``auth_url``) and ``POST /payroll/v1/...``
(``api_url``). State is set up with Python admin methods, never over HTTP. Bodies follow
``paie-rest-api-openapi.json``; gateway answers (401 subscription key / token, 404, 429) follow
Azure API Management's own JSON, which the OpenAPI file does not describe.

Where Silae's behaviour is undocumented the fake picks something and says so in a comment.

Where things are: :mod:`.answers` the refusals' bodies and the fake's own codes, :mod:`.state`
the records and the admin methods, :mod:`.routes` the token endpoint, the gateway's checks and
one method per operation (:class:`FakeSilae`).
"""

from local.fakes.silae.answers import format_expiration_warning
from local.fakes.silae.routes import FakeSilae

__all__ = ["FakeSilae", "format_expiration_warning"]
