"""Operator commands, run with the stack's environment (``CONFIG_TABLE`` at least; AWS credentials
of an operator):

    python -m paysync.cli issue-api-key --admin [--label "…"]
    python -m paysync.cli issue-api-key --firm cabinet-dupont [--label "…"]
    python -m paysync.cli list-api-keys [--firm cabinet-dupont]
    python -m paysync.cli revoke-api-key <key_id>

The first operator credential can only come from here (the admin route needs one). A new key is
printed once, on stdout; only its SHA-256 is stored.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from paysync.config import get_settings
from paysync.domain.models import utcnow
from paysync.storage.apikeys import ApiKeyRepository
from paysync.storage.config_table import ConfigRepository
from paysync.usecases.api_keys import issue
from paysync.usecases.errors import RequestRefused


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m paysync.cli", description="paysync operator commands")
    commands = parser.add_subparsers(dest="command", required=True)
    issuing = commands.add_parser("issue-api-key", help="issue an API credential (printed once)")
    who = issuing.add_mutually_exclusive_group(required=True)
    who.add_argument("--admin", action="store_true", help="an operator credential")
    who.add_argument("--firm", metavar="FIRM_ID", help="a credential of this firm")
    issuing.add_argument("--label", default="", help="what the credential is for")
    listing = commands.add_parser("list-api-keys", help="list credentials (key ids, never keys)")
    listing.add_argument("--firm", metavar="FIRM_ID", help="this firm's (default: the operators')")
    revoking = commands.add_parser("revoke-api-key", help="revoke a credential")
    revoking.add_argument("key_id")
    args = parser.parse_args(argv)

    table = get_settings().config_table
    keys, config = ApiKeyRepository(table), ConfigRepository(table)
    try:
        if args.command == "issue-api-key":
            record, key = issue(
                keys,
                config,
                scope="admin" if args.admin else "firm",
                firm_id=args.firm,
                label=args.label,
                now=utcnow(),
            )
            print(key.plaintext)
            print(
                f"key id {record.key_id} ({record.scope}{' ' + record.firm_id if record.firm_id else ''})",
                file=sys.stderr,
            )
        elif args.command == "list-api-keys":
            for record in keys.list_for(args.firm):
                state = "revoked" if record.revoked_at else "active"
                print(f"{record.key_id}\t{record.scope}\t{record.firm_id or '-'}\t{state}\t{record.label}")
        elif not keys.revoke(args.key_id, utcnow()):
            print(f"unknown key id {args.key_id}", file=sys.stderr)
            return 1
    except RequestRefused as refused:
        print(refused.message, file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
