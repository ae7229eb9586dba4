"""Fakes of the two vendor APIs: real HTTP servers on 127.0.0.1, stateful, faithful to the contracts."""
