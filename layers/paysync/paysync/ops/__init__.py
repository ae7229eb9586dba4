"""Operator commands (run from a workstation or CI with AWS credentials, never by a Lambda)."""
