"""Client for the Silae Paie REST API (OAuth2 client credentials + API Management gateway)."""
