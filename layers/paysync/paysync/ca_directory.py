"""Build step: certifi's bundle as a hashed directory of certificates (why: ``paysync.tls``).

``python -m paysync.ca_directory <site>`` reads ``<site>/certifi/cacert.pem`` and writes
``<site>/paysync-authorities/``: each certificate in its own file named as OpenSSL looks it up
(``c_rehash``, ``openssl rehash``): the hash of the certificate's subject, then ``.0``, ``.1`` for
subjects that share a hash. The hash is computed here rather than by the ``openssl`` program, which
a build machine may lack: OpenSSL's ``X509_NAME_hash`` (since 1.0), the first four bytes, little
endian, of the SHA-1 of the subject's canonical encoding: each attribute value that is a string
converted to UTF-8, trimmed, inner runs of spaces made one, ASCII lower-cased, re-encoded as a
UTF8String; each RDN's set in DER order; the RDNs concatenated without the outer SEQUENCE. A test
checks every certificate of certifi's bundle against the ``openssl`` program where it exists.
"""

from __future__ import annotations

import base64
import hashlib
import re
import shutil
import sys
import tempfile
from pathlib import Path

from paysync.tls import AUTHORITIES, SOURCE, bundle_digest

_PEM = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n(.*?)-----END CERTIFICATE-----", re.S)
# DER tags of the string types OpenSSL canonicalises, and how each decodes
_STRINGS = {
    0x0C: "utf-8",  # UTF8String
    0x13: "latin-1",  # PrintableString
    0x14: "latin-1",  # T61String (OpenSSL reads it as Latin-1)
    0x16: "latin-1",  # IA5String
    0x1A: "latin-1",  # VisibleString
    0x1C: "utf-32-be",  # UniversalString
    0x1E: "utf-16-be",  # BMPString
}
_UTF8STRING, _SEQUENCE, _SET = 0x0C, 0x30, 0x31
_SPACES = b" \t\n\v\f\r"


def _element(data: bytes, at: int) -> tuple[int, int, int]:
    """The DER element at ``at``: its tag, where its content starts and where it ends."""
    tag, length = data[at], data[at + 1]
    at += 2
    if length & 0x80:
        count = length & 0x7F
        length = int.from_bytes(data[at : at + count], "big")
        at += count
    return tag, at, at + length


def _children(data: bytes, start: int, end: int) -> list[tuple[int, int, int, int]]:
    """(tag, element start, content start, end) of each element between ``start`` and ``end``."""
    found = []
    while start < end:
        tag, content, stop = _element(data, start)
        found.append((tag, start, content, stop))
        start = stop
    return found


def _encode(tag: int, content: bytes) -> bytes:
    size = len(content)
    if size < 0x80:
        return bytes((tag, size)) + content
    length = size.to_bytes((size.bit_length() + 7) // 8, "big")
    return bytes((tag, 0x80 | len(length))) + length + content


def _canonical_value(tag: int, content: bytes, whole: bytes) -> bytes:
    if tag not in _STRINGS:
        return whole
    text = content.decode(_STRINGS[tag]).encode("utf-8").strip(_SPACES)
    text = re.sub(rb"[ \t\n\v\f\r]+", b" ", text)
    return _encode(_UTF8STRING, text.lower())  # bytes.lower(): ASCII letters only, as OpenSSL


def subject(der: bytes) -> tuple[int, int]:
    """Where the certificate's subject's content lies: tbsCertificate's sixth element (fifth
    without the optional version)."""
    _, content, _ = _element(der, 0)
    _, tbs, tbs_end = _element(der, content)
    fields = _children(der, tbs, tbs_end)
    if fields[0][0] == 0xA0:  # [0] version
        fields = fields[1:]
    tag, _, start, stop = fields[4]  # serial, signature, issuer, validity, subject
    if tag != _SEQUENCE:
        raise ValueError("not an X.509 certificate: no subject name where expected")
    return start, stop


def subject_hash(der: bytes) -> str:
    """OpenSSL's ``X509_subject_name_hash`` of a DER certificate, as ``openssl x509 -subject_hash``."""
    start, stop = subject(der)
    canonical = b""
    for rdn_tag, _, rdn_start, rdn_end in _children(der, start, stop):
        if rdn_tag != _SET:
            raise ValueError("malformed name: an RDN that is not a SET")
        attributes = []
        for _, _, attribute_start, attribute_end in _children(der, rdn_start, rdn_end):
            (_, oid_at, _, oid_end), (tag, value_at, content, value_end) = _children(
                der, attribute_start, attribute_end
            )
            value = _canonical_value(tag, der[content:value_end], der[value_at:value_end])
            attributes.append(_encode(_SEQUENCE, der[oid_at:oid_end] + value))
        canonical += _encode(_SET, b"".join(sorted(attributes)))
    digest = hashlib.sha1(canonical).digest()  # noqa: S324 - OpenSSL's lookup name, not a security check
    return f"{int.from_bytes(digest[:4], 'little'):08x}"


def certificates(bundle: bytes) -> list[bytes]:
    """The DER certificates of a PEM bundle, in order."""
    return [base64.b64decode(b"".join(block.split())) for block in _PEM.findall(bundle)]


def build(site: Path) -> Path:
    """Write ``<site>/paysync-authorities`` from ``<site>/certifi/cacert.pem`` (replacing it whole)."""
    bundle = site / "certifi" / "cacert.pem"
    target = site / AUTHORITIES
    staging = Path(tempfile.mkdtemp(prefix=f".{AUTHORITIES}-", dir=site))
    seen: dict[str, list[bytes]] = {}
    for der in certificates(bundle.read_bytes()):
        name_hash = subject_hash(der)
        same_hash = seen.setdefault(name_hash, [])
        if der in same_hash:
            continue  # listed twice: OpenSSL needs it once
        pem = base64.encodebytes(der).decode("ascii").replace("\n", "")
        lines = "\n".join(pem[i : i + 64] for i in range(0, len(pem), 64))
        name = f"{name_hash}.{len(same_hash)}"
        (staging / name).write_text(
            f"-----BEGIN CERTIFICATE-----\n{lines}\n-----END CERTIFICATE-----\n", encoding="ascii"
        )
        same_hash.append(der)
    (staging / SOURCE).write_text(bundle_digest(bundle) + "\n", encoding="ascii")
    shutil.rmtree(target, ignore_errors=True)
    staging.rename(target)
    return target


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m paysync.ca_directory <folder holding certifi/>", file=sys.stderr)
        return 2
    target = build(Path(argv[0]))
    print(f"wrote {target} ({sum(1 for _ in target.glob('*.*'))} certificates)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
