"""Powertools' API resolver without the rest of its packages (why: ``paysync.lazy_packages``).

Imported by ``paysync.api`` before any Powertools resolver module: the ``event_handler`` and
``data_classes`` packages' ``__init__`` (every resolver, asyncio, forty event sources: some 15 ms of
an API function's cold start) run only if a name only they define is asked for. A test keeps
AppSync, asyncio and the other event sources out of an API request.
"""

from __future__ import annotations

from paysync.lazy_packages import defer_package_init

PACKAGES = (
    "aws_lambda_powertools.event_handler",  # every resolver
    "aws_lambda_powertools.utilities.data_classes",  # every event source's classes
)

for _package in PACKAGES:
    defer_package_init(_package)
