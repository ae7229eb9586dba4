"""Use cases the handlers call: plan the night, sync one dossier."""
