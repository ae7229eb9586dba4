"""The HTTP API for firm tools: Powertools routers per area, models, errors, the authorizer."""
