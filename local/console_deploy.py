"""`make deploy-console STACK=<name>`: the console's files uploaded to the stack's bucket as they are (no
build), config.json written beside index.html from the stack's ``ApiUrl`` output, files the console no
longer has removed, and the CloudFront distribution told to forget its copies. Operator AWS credentials
come from the environment, as for ``make replay-dlq``.

Run: ``python -m local.console_deploy --stack <name>``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from local.console_static import CONSOLE_DIR, CONTENT_TYPES, deployed_files

CONFIG = "config.json"


def stack_outputs(cloudformation: Any, stack: str) -> dict[str, str]:
    described = cloudformation.describe_stacks(StackName=stack)["Stacks"][0]
    return {o["OutputKey"]: o["OutputValue"] for o in described.get("Outputs", [])}


def upload(s3: Any, bucket: str, api_url: str, root: Path = CONSOLE_DIR) -> list[str]:
    """Put every console file and config.json; delete what else the bucket holds. Returns the keys put.

    Files are revalidated on every load (``no-cache``, by ETag): with no build there is no content hash
    in the names, and a deploy must show at once."""
    keys: list[str] = []
    for relative in deployed_files(root):
        key = relative.as_posix()
        s3.put_object(
            Bucket=bucket,
            Key=key,
            Body=(root / key).read_bytes(),
            ContentType=CONTENT_TYPES.get(relative.suffix, "application/octet-stream"),
            CacheControl="no-cache",
        )
        keys.append(key)
    config = json.dumps({"api_base": api_url.rstrip("/")}).encode("utf-8")
    s3.put_object(
        Bucket=bucket, Key=CONFIG, Body=config, ContentType="application/json", CacheControl="no-cache"
    )
    keys.append(CONFIG)
    stale = [
        {"Key": item["Key"]}
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket)
        for item in page.get("Contents", [])
        if item["Key"] not in keys
    ]
    if stale:
        s3.delete_objects(Bucket=bucket, Delete={"Objects": stale, "Quiet": True})
    return keys


def invalidate(cloudfront: Any, distribution_id: str) -> str:
    answer = cloudfront.create_invalidation(
        DistributionId=distribution_id,
        InvalidationBatch={
            "Paths": {"Quantity": 1, "Items": ["/*"]},
            "CallerReference": f"paysync-{time.time_ns()}",
        },
    )
    return str(answer["Invalidation"]["Id"])


def main(argv: list[str] | None = None) -> int:
    import boto3

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--stack", required=True, help="the CloudFormation stack's name")
    args = parser.parse_args(argv)
    outputs = stack_outputs(boto3.client("cloudformation"), args.stack)
    keys = upload(boto3.client("s3"), outputs["ConsoleBucketName"], outputs["ApiUrl"])
    invalidation = invalidate(boto3.client("cloudfront"), outputs["ConsoleDistributionId"])
    print(f"{len(keys)} files uploaded to s3://{outputs['ConsoleBucketName']} (API: {outputs['ApiUrl']})")
    print(f"CloudFront invalidation {invalidation} under way; the console: {outputs['ConsoleUrl']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
