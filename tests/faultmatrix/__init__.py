"""Faulty nights, counted: what the exactly-once, protections and fault-matrix suites share.

- :mod:`.nights`: many tiny nights on one local stack, each on a period of its own, and their tally;
- :mod:`.vendor`: every fault the vendor fakes inject, aimed at one dossier's calls;
- :mod:`.aws`: AWS-side faults through botocore's event hooks, SQS FIFO's deduplication window, and
  the matrix's AWS nights;
- :mod:`.crashes`: the points where a worker dies, wrapped around the real code;
- :mod:`.scenarios`: the faulty nights each protection is needed for;
- :mod:`.matrix`, :mod:`.report`: the whole matrix and its table (``make test``, ``make bench``).
"""
