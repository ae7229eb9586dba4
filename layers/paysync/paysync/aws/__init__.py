"""paysync's own AWS client: SigV4 over the standard library, for the calls the functions make.

Why not boto3: every function's cold start is held to 1.5 x ``import boto3`` (issue 13), and a
function that imports boto3 and reads one DynamoDB item already costs 1.8 x (botocore loads its
service models, endpoint rules, s3transfer and its docs machinery at the first call). The calls
paysync makes are few and plain (DynamoDB items, queries and transactions; one Secrets Manager
read per credential; SQS batches; one SES send): this package speaks them directly, with
botocore's retry rules, so no function loads botocore at all. boto3 stays for the operator's CLI
(``paysync.ops``), the local stack and the tests, which check this client against it.
"""
