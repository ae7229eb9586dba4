"""Emails to firm staff: French, rendered from templates (``render``), composed as MIME (``mime``)."""
