"""One module per area, each with one module-level ``router``; ``paysync.api.app`` includes an area's
router in a function's resolver, importing the module only then.

Finding the code behind a route: its OpenAPI tag is the module (``openapi.json``, ``/swagger``), its
operationId begins with the function's name (``get_firm_firms__firm_id__get`` → ``settings.get_firm``).

A router is shared by the resolvers that include it (a function's, its area's, and the
documentation's): route functions read the request through ``router.current_event``, which
``paysync.api.routing`` sets per request (and per thread), and keep no state of their own.
"""
