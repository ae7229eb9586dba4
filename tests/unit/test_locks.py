"""The builds are locked: the layer installs exactly the versions the tests ran, every one hashed."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PIN = re.compile(r"^([A-Za-z0-9_.\-\[\]]+)==([^\s;\\]+)", re.MULTILINE)


def pins(path: Path) -> dict[str, str]:
    return {name.lower().split("[")[0]: version for name, version in PIN.findall(path.read_text())}


def test_the_layer_pins_the_versions_of_the_dev_lock() -> None:
    layer, dev = pins(ROOT / "layers/paysync/requirements.txt"), pins(ROOT / "requirements/dev.lock")
    assert {"aws-lambda-powertools", "pydantic", "httpx", "jinja2"} <= layer.keys()
    # no function imports them (lint-imports), and Lambda's runtime has its own: not shipped twice
    assert not {"boto3", "botocore", "s3transfer"} & layer.keys()
    drifted = {name: (version, dev.get(name)) for name, version in layer.items() if dev.get(name) != version}
    assert not drifted, f"run `make lock`: layer and dev lock disagree on {drifted}"


# pip's hash mode refuses the SAM CLI's extras-of-pinned dependencies: its lock is pinned only.
PINNED_ONLY = {"sam.lock"}


def test_every_locked_requirement_is_pinned_and_hashed() -> None:
    for path in [ROOT / "layers/paysync/requirements.txt", *sorted((ROOT / "requirements").glob("*.lock"))]:
        requirements = re.split(r"\n(?=\S)", path.read_text())
        entries = [r for r in requirements if r and not r.startswith("#")]
        assert entries, path
        for entry in entries:
            assert PIN.match(entry), f"{path.name}: not pinned: {entry.splitlines()[0]}"
            hashed = "--hash=sha256:" in entry
            assert hashed or path.name in PINNED_ONLY, f"{path.name}: not hashed: {entry.splitlines()[0]}"
