"""The committed ``openapi.json``: the document the code serves at ``/openapi.json``, kept in the
repository so that a change of the API shows in review and clients can be generated without a stack.

``python -m paysync.api.openapi`` writes it at the repository root (or at the path given); a test
fails when the file and the code disagree. Sorted keys, two-space indent and unescaped UTF-8 make
the output the same on every machine. Its server is ``/``: the deployed stage prefixes the paths.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

REGENERATE = "python -m paysync.api.openapi"


def committed_path() -> Path:
    """``openapi.json`` at the root of the checkout this module is in."""
    return Path(__file__).resolve().parents[4] / "openapi.json"


def document_text() -> str:
    from paysync.api.app import openapi_document

    document = json.loads(openapi_document())
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def main(argv: list[str]) -> int:
    target = Path(argv[0]) if argv else committed_path()
    target.write_text(document_text(), encoding="utf-8")
    print(f"wrote {target}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
