"""The HTTP API for firm tools: Powertools routers per area, models, errors, the authorizer."""

# Before any Powertools resolver module: its package's __init__ imports every resolver (why there).
from paysync.api import powertools as _powertools  # noqa: F401
