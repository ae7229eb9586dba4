"""certifi's bundle as a hashed directory (``paysync.ca_directory``) that OpenSSL reads lazily, and the
one TLS context choosing it only when it was built from the bundle certifi holds (``paysync.tls``)."""

from __future__ import annotations

import json
import shutil
import ssl
import subprocess
from pathlib import Path

import certifi
import pytest
from cryptography import x509
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from paysync.ca_directory import build, certificates, subject_hash
from paysync.tls import AUTHORITIES, authorities_directory, certifi_bundle
from tests.certificates import certificate, common_name, der, new_key, pem, server_context
from tests.fresh_python import run_script

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="no openssl program to compare the hashes with")


def _openssl_hash(certificate_der: bytes) -> str:
    assert OPENSSL is not None
    return (
        subprocess.run(  # noqa: S603 - the openssl program, fixed arguments
            [OPENSSL, "x509", "-inform", "DER", "-noout", "-subject_hash"],
            input=certificate_der,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )


# Names whose canonical form differs from their encoding: case, spaces, string types, a multi-valued RDN.
AWKWARD_NAMES = [
    x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "  Cabinet   DUPONT  Racine ")]),
    x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "FR"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Société Générale\tDE  Test", _ASN1Type.BMPString),
            x509.NameAttribute(NameOID.COMMON_NAME, "ÉCOLE Root", _ASN1Type.UTF8String),
        ]
    ),
    x509.Name(
        [
            x509.RelativeDistinguishedName(
                [
                    x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Zeta"),
                    x509.NameAttribute(NameOID.COMMON_NAME, "alpha ROOT"),
                ]
            ),
            x509.RelativeDistinguishedName([x509.NameAttribute(NameOID.EMAIL_ADDRESS, "PKI@Example.FR")]),
        ]
    ),
]


@needs_openssl
def test_every_authority_of_certifi_is_named_as_openssl_names_it() -> None:
    ders = certificates(Path(certifi.where()).read_bytes())
    assert len(ders) > 100
    mismatches = [each for each in ders if subject_hash(each) != _openssl_hash(each)]
    assert mismatches == []


@needs_openssl
@pytest.mark.parametrize("name", AWKWARD_NAMES, ids=["spaces-and-case", "string-types", "multi-valued-rdn"])
def test_awkward_subjects_are_named_as_openssl_names_them(name: x509.Name) -> None:
    encoded = der(certificate(name, new_key()))
    assert subject_hash(encoded) == _openssl_hash(encoded)


def _site(tmp_path: Path, *authorities: x509.Certificate) -> Path:
    site = tmp_path / "site"
    (site / "certifi").mkdir(parents=True)
    (site / "certifi" / "cacert.pem").write_bytes(b"".join(pem(authority) for authority in authorities))
    return site


def _handshake(client: ssl.SSLContext, server: ssl.SSLContext, host: str) -> None:
    """A TLS handshake between two contexts in memory (no socket): raises when the client refuses."""
    pipes = [(ssl.MemoryBIO(), ssl.MemoryBIO()) for _ in range(2)]
    near = client.wrap_bio(pipes[0][0], pipes[0][1], server_hostname=host)
    far = server.wrap_bio(pipes[1][0], pipes[1][1], server_side=True)
    done = {near: False, far: False}
    for _ in range(20):
        for side in (near, far):
            if not done[side]:
                try:
                    side.do_handshake()
                    done[side] = True
                except ssl.SSLWantReadError:
                    pass
        pipes[1][0].write(pipes[0][1].read())
        pipes[0][0].write(pipes[1][1].read())
        if all(done.values()):
            return
    raise AssertionError("handshake did not finish")


def test_a_server_under_an_authority_of_the_directory_is_trusted_and_others_are_not(tmp_path: Path) -> None:
    root_key, other_key, server_key = (new_key() for _ in range(3))
    root = certificate(AWKWARD_NAMES[0], root_key)
    other = certificate(common_name("Another Root"), other_key)
    host = "api.myunisoft.test"
    directory = build(_site(tmp_path, other, root, root))  # root twice: written once

    assert sorted(path.name for path in directory.iterdir()) == sorted(
        ["SOURCE", f"{subject_hash(der(root))}.0", f"{subject_hash(der(other))}.0"]
    )
    client = ssl.create_default_context(capath=str(directory))
    for issuer, issuer_key, trusted in ((root, root_key, True), (None, server_key, False)):
        leaf = certificate(
            common_name(host), server_key, issuer.subject if issuer else None, issuer_key, ca=False, host=host
        )
        server = server_context(tmp_path, leaf, server_key)
        if trusted:
            _handshake(client, server, host)
        else:  # self-signed: no authority of the directory vouches for it
            with pytest.raises(ssl.SSLCertVerificationError):
                _handshake(client, server, host)


def test_the_directory_is_used_only_when_built_from_the_bundle_certifi_holds(tmp_path: Path) -> None:
    key = new_key()
    site = _site(tmp_path, certificate(AWKWARD_NAMES[1], key))
    bundle = site / "certifi" / "cacert.pem"
    assert authorities_directory(bundle) is None  # not built: the bundle itself

    build(site)
    assert authorities_directory(bundle) == site / AUTHORITIES

    bundle.write_bytes(bundle.read_bytes() + pem(certificate(AWKWARD_NAMES[2], key)))
    assert authorities_directory(bundle) is None  # certifi changed since: stale, not used


def test_the_bundle_is_certifis_own_found_without_importing_certifi() -> None:
    assert certifi_bundle() == Path(certifi.where())
    script = (
        "import json, sys\n"
        "from paysync.tls import tls_context\n"
        "tls_context()\n"
        "print(json.dumps(sorted(m for m in ('certifi', 'importlib.resources', 'zipfile') if m in sys.modules)))"
    )
    assert json.loads(run_script(script, {}).strip().splitlines()[-1]) == []
