"""The API's models: ``inputs`` (request bodies), the answers (read from the domain objects they
show), in ``views`` and one module per area whose requests load no other (``status``, ``sync``,
``connection``, ``discovery``, ``periods``, ``bulk``), and ``common`` (patterns, base models, the
error body, the diagnosis view and ``view_of``)."""
