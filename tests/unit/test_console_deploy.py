"""`make deploy-console`: the console's files as they are, config.json from the stack's ApiUrl, nothing stale."""

from __future__ import annotations

import json

import boto3
import pytest

from local.console_deploy import invalidate, stack_outputs, upload
from local.console_static import deployed_files

API_URL = "https://abc123.execute-api.eu-west-3.amazonaws.com/v1"


@pytest.mark.usefixtures("aws")
def test_upload_puts_the_files_and_config_json_and_removes_stale_ones() -> None:
    s3 = boto3.client("s3", region_name="eu-west-3")
    s3.create_bucket(Bucket="console", CreateBucketConfiguration={"LocationConstraint": "eu-west-3"})
    s3.put_object(Bucket="console", Key="app/old.js", Body=b"gone")
    keys = upload(s3, "console", API_URL + "/")
    stored = {item["Key"] for item in s3.list_objects_v2(Bucket="console")["Contents"]}
    assert stored == set(keys) == {p.as_posix() for p in deployed_files()} | {"config.json"}
    assert {"index.html", "styles.css", "app/main.js"} <= stored
    assert not any(key.startswith(("node_modules", "package", "tsconfig")) for key in stored)
    config = s3.get_object(Bucket="console", Key="config.json")
    assert json.loads(config["Body"].read()) == {"api_base": API_URL}
    page = s3.get_object(Bucket="console", Key="index.html")
    assert page["ContentType"].startswith("text/html") and page["CacheControl"] == "no-cache"
    assert s3.get_object(Bucket="console", Key="app/main.js")["ContentType"].startswith("text/javascript")


@pytest.mark.usefixtures("aws")
def test_the_outputs_are_read_from_the_stack_and_the_distribution_invalidated() -> None:
    cloudformation = boto3.client("cloudformation", region_name="eu-west-3")
    template = {
        "Resources": {"Topic": {"Type": "AWS::SNS::Topic"}},
        "Outputs": {"ApiUrl": {"Value": API_URL}, "ConsoleBucketName": {"Value": "console"}},
    }
    cloudformation.create_stack(StackName="paysync", TemplateBody=json.dumps(template))
    assert stack_outputs(cloudformation, "paysync") == {"ApiUrl": API_URL, "ConsoleBucketName": "console"}
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    distribution = cloudfront.create_distribution(
        DistributionConfig={
            "CallerReference": "test",
            "Comment": "",
            "Enabled": True,
            "Origins": {
                "Quantity": 1,
                "Items": [
                    {
                        "Id": "o",
                        "DomainName": "console.s3.amazonaws.com",
                        "S3OriginConfig": {"OriginAccessIdentity": ""},
                    }
                ],
            },
            "DefaultCacheBehavior": {
                "TargetOriginId": "o",
                "ViewerProtocolPolicy": "https-only",
                "MinTTL": 0,
            },
        }
    )["Distribution"]["Id"]
    invalidation = invalidate(cloudfront, distribution)
    listed = cloudfront.list_invalidations(DistributionId=distribution)["InvalidationList"]["Items"]
    assert [item["Id"] for item in listed] == [invalidation]
