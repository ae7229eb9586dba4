"""The one TLS context of a container, for every HTTPS connection paysync opens: AWS's endpoints
(``paysync.aws``) and the vendors' (``paysync.vendor_http``).

The certificate authorities are certifi's, as botocore's and httpx's are. Loading certifi's bundle
parses its 120-odd certificates: 15 to 45 ms of CPU with OpenSSL 3, in the first invocation of
every function that calls out. So the layer's build (``make build``, and the cold-start benchmark's
Lambda-like site) writes the same certificates beside certifi as a hashed directory
(``paysync.ca_directory``), which OpenSSL reads lazily: the one authority a handshake needs, when
it needs it. Each context would load the bundle again, so there is one per container: the standard
library's ``HTTPSConnection`` builds one per connection when given none, httpx one per client.

The directory is used only when it was built from the bundle certifi holds now (its ``SOURCE``
records the bundle's digest); otherwise, or when it is missing (a plain ``sam build``), the bundle
itself, as before.
"""

from __future__ import annotations

import hashlib
import ssl
from functools import cache
from importlib.machinery import PathFinder
from pathlib import Path

AUTHORITIES = "paysync-authorities"  # beside certifi's package, in the layer's python/ folder
SOURCE = "SOURCE"  # in the directory: the sha256 of the bundle it was built from


def bundle_digest(bundle: Path) -> str:
    return hashlib.sha256(bundle.read_bytes()).hexdigest()


def authorities_directory(bundle: Path) -> Path | None:
    """The hashed directory built from ``bundle``, if there is one and it matches the bundle."""
    directory = bundle.parent.parent / AUTHORITIES
    try:
        recorded = (directory / SOURCE).read_text(encoding="ascii").strip()
    except OSError:
        return None
    return directory if recorded == bundle_digest(bundle) else None


def certifi_bundle() -> Path:
    """certifi's ``cacert.pem``, found without importing certifi where it lies in a folder (as in
    the layer): ``certifi.where()`` goes through ``importlib.resources``, which imports zipfile
    and more (~1.5 ms of a cold start) to handle a zipped install."""
    spec = PathFinder.find_spec("certifi")
    folders = spec.submodule_search_locations if spec is not None else None
    for folder in folders or ():
        if (bundle := Path(folder) / "cacert.pem").is_file():
            return bundle
    import certifi

    return Path(certifi.where())


@cache
def tls_context() -> ssl.SSLContext:
    bundle = certifi_bundle()
    directory = authorities_directory(bundle)
    if directory is not None:
        return ssl.create_default_context(capath=str(directory))
    return ssl.create_default_context(cafile=str(bundle))
