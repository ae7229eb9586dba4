"""Adapters for state: DynamoDB repositories and Secrets Manager."""
