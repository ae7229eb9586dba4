"""certifi's bundle as a hashed directory (``paysync.ca_directory``) that OpenSSL reads lazily, and the
one TLS context choosing it only when it was built from the bundle certifi holds (``paysync.tls``)."""

from __future__ import annotations

import datetime
import shutil
import ssl
import subprocess
from pathlib import Path

import certifi
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.name import _ASN1Type
from cryptography.x509.oid import NameOID

from paysync.ca_directory import build, certificates, subject_hash
from paysync.tls import AUTHORITIES, authorities_directory

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="no openssl program to compare the hashes with")


def _openssl_hash(der: bytes) -> str:
    assert OPENSSL is not None
    return (
        subprocess.run(  # noqa: S603 - the openssl program, fixed arguments
            [OPENSSL, "x509", "-inform", "DER", "-noout", "-subject_hash"],
            input=der,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .strip()
    )


def _certificate(
    name: x509.Name,
    key: ec.EllipticCurvePrivateKey,
    issuer: x509.Name | None = None,
    issuer_key: ec.EllipticCurvePrivateKey | None = None,
    *,
    ca: bool = True,
    host: str | None = None,
) -> x509.Certificate:
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(issuer or name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if host:
        builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
    return builder.sign(issuer_key or key, hashes.SHA256())


def _der(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.DER)


def _pem(certificate: x509.Certificate) -> bytes:
    return certificate.public_bytes(serialization.Encoding.PEM)


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
    mismatches = [der for der in ders if subject_hash(der) != _openssl_hash(der)]
    assert mismatches == []


@needs_openssl
@pytest.mark.parametrize("name", AWKWARD_NAMES, ids=["spaces-and-case", "string-types", "multi-valued-rdn"])
def test_awkward_subjects_are_named_as_openssl_names_them(name: x509.Name) -> None:
    der = _der(_certificate(name, ec.generate_private_key(ec.SECP256R1())))
    assert subject_hash(der) == _openssl_hash(der)


def _site(tmp_path: Path, *authorities: x509.Certificate) -> Path:
    site = tmp_path / "site"
    (site / "certifi").mkdir(parents=True)
    (site / "certifi" / "cacert.pem").write_bytes(b"".join(_pem(authority) for authority in authorities))
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
    root_key, other_key, server_key = (ec.generate_private_key(ec.SECP256R1()) for _ in range(3))
    root = _certificate(AWKWARD_NAMES[0], root_key)
    other = _certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Another Root")]), other_key)
    host = "api.myunisoft.test"
    server_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    directory = build(_site(tmp_path, other, root, root))  # root twice: written once

    assert sorted(path.name for path in directory.iterdir()) == sorted(
        ["SOURCE", f"{subject_hash(_der(root))}.0", f"{subject_hash(_der(other))}.0"]
    )
    client = ssl.create_default_context(capath=str(directory))
    for issuer, issuer_key, trusted in ((root, root_key, True), (None, server_key, False)):
        leaf = _certificate(
            server_name, server_key, issuer.subject if issuer else None, issuer_key, ca=False, host=host
        )
        (tmp_path / "leaf.pem").write_bytes(_pem(leaf))
        (tmp_path / "key.pem").write_bytes(
            server_key.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )
        server = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        server.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "key.pem")
        if trusted:
            _handshake(client, server, host)
        else:  # self-signed: no authority of the directory vouches for it
            with pytest.raises(ssl.SSLCertVerificationError):
                _handshake(client, server, host)


def test_the_directory_is_used_only_when_built_from_the_bundle_certifi_holds(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP256R1())
    site = _site(tmp_path, _certificate(AWKWARD_NAMES[1], key))
    bundle = site / "certifi" / "cacert.pem"
    assert authorities_directory(bundle) is None  # not built: the bundle itself

    build(site)
    assert authorities_directory(bundle) == site / AUTHORITIES

    bundle.write_bytes(bundle.read_bytes() + _pem(_certificate(AWKWARD_NAMES[2], key)))
    assert authorities_directory(bundle) is None  # certifi changed since: stale, not used
