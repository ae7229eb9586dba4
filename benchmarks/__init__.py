"""`make bench`: the night's scale, cost and memory, measured on the embedded local stack."""
