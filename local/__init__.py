"""The embedded local stack: moto for AWS, contract-faithful fakes of Silae and MyUnisoft."""
