"""The one TLS context of a container, for every HTTPS connection paysync opens: AWS's endpoints
(``paysync.aws``) and the vendors' (``paysync.vendor_http``).

Building a context loads the certificate authorities: 30 to 45 ms of CPU with OpenSSL 3. The
standard library's ``HTTPSConnection`` builds one per connection when it is given none, and httpx
one per client, so a cold worker paid it once per AWS service and thread, and once per vendor
client. The authorities are certifi's, as botocore's and httpx's are.
"""

from __future__ import annotations

import ssl
from functools import cache


@cache
def tls_context() -> ssl.SSLContext:
    import certifi

    return ssl.create_default_context(cafile=certifi.where())
