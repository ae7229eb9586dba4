"""The HTTP API for firm tools: routers per area, models, errors, the authorizer."""

# Before any Powertools module (its documentation resolver, its OpenAPI types): the event_handler
# package's __init__ imports every resolver (why there).
from paysync.api import powertools as _powertools  # noqa: F401
