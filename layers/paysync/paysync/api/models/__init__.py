"""The API's models, in three rooms: ``inputs`` (request bodies), ``views`` (answers, read from the
domain objects they show) and ``common`` (patterns, base models, the error body)."""
