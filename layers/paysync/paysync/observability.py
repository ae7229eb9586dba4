"""One logger, tracer and metrics object for the whole library (Powertools)."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer

logger = Logger(service="paysync")
tracer = Tracer(service="paysync")
metrics = Metrics(service="paysync")
