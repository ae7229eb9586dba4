"""Pure domain rules: no I/O, no AWS, no HTTP. Everything here is testable in isolation."""
