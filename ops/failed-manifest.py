#!/usr/bin/env python3
"""Turns the failed records into an S3 Batch Operations CSV manifest, to re-drive the objects
that failed once their cause is fixed (a raised limit, a new decoder, a repaired upload). Reads
the records table's sparse failed-records index (only failed records carry its key
`failed_kind`): a query per --kind, or the whole index without one; --since-ms keeps records
written at or after that time. Prints the count per kind, then writes the manifest like
backfill-manifest.py does.

    python3 ops/failed-manifest.py --table imagepipe-records --kind corrupt --kind too_many_pixels \
        --upload s3://OPS/batch-manifests/failed.csv --job-manifest job-manifest.json

Lines carry each failed record's version id (the version that failed) when every record has
one; --latest drops them so the job reads whatever version is current.
"""

from __future__ import annotations

import argparse
import collections
import sys

import boto3

from batch_manifest import ManifestObject, add_output_arguments, publish

# The index and its attributes as infra/locals.tf declares them (the ops test checks both agree).
FAILED_INDEX_NAME = "failed-by-kind"
FAILED_KIND = "failed_kind"
PROCESSED_AT_MS = "processed_at_ms"
# `key` is a DynamoDB reserved word: every attribute goes through a placeholder.
PROJECTED = {"#bucket": "bucket", "#key": "key", "#version": "version_id", "#kind": FAILED_KIND, "#at": PROCESSED_AT_MS}


def failed_records(dynamodb, table: str, index: str, kinds: list[str], since_ms: int | None):
    common = {
        "TableName": table,
        "IndexName": index,
        "ProjectionExpression": ", ".join(PROJECTED),
        "ExpressionAttributeNames": dict(PROJECTED),
    }
    if not kinds:
        request = dict(common)
        if since_ms is not None:
            request["FilterExpression"] = "#at >= :since"
            request["ExpressionAttributeValues"] = {":since": {"N": str(since_ms)}}
        for page in dynamodb.get_paginator("scan").paginate(**request):
            yield from page["Items"]
        return
    for kind in kinds:
        request = dict(common, ExpressionAttributeValues={":kind": {"S": kind}})
        request["KeyConditionExpression"] = "#kind = :kind"
        if since_ms is not None:
            request["KeyConditionExpression"] += " AND #at >= :since"
            request["ExpressionAttributeValues"][":since"] = {"N": str(since_ms)}
        for page in dynamodb.get_paginator("query").paginate(**request):
            yield from page["Items"]


def string(item: dict, name: str) -> str | None:
    value = item.get(name, {})
    return value.get("S")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--table", required=True, help="the records table (the stack's records_table_name output)")
    parser.add_argument("--index", default=FAILED_INDEX_NAME, help=f"the failed-records index (default {FAILED_INDEX_NAME})")
    parser.add_argument("--kind", action="append", default=[], help="a failure kind, e.g. corrupt (repeatable; default: every kind)")
    parser.add_argument("--since-ms", type=int, help="only records written at or after this time (ms since the Unix epoch)")
    parser.add_argument("--latest", action="store_true", help="no version ids: the job reads each key's current version")
    add_output_arguments(parser)
    args = parser.parse_args()
    session = boto3.session.Session(region_name=args.region)

    objects, per_kind = [], collections.Counter()
    for item in failed_records(session.client("dynamodb"), args.table, args.index, args.kind, args.since_ms):
        bucket, key = string(item, "bucket"), string(item, "key")
        if bucket is None or key is None:
            print(f"skipped a record without bucket/key: {item}", file=sys.stderr)
            continue
        per_kind[string(item, FAILED_KIND)] += 1
        objects.append(ManifestObject(bucket, key, None if args.latest else string(item, "version_id")))
    for kind, count in sorted(per_kind.items()):
        print(f"{kind}: {count}", file=sys.stderr)

    with_versions = bool(objects) and all(item.version_id for item in objects)
    if objects and not args.latest and not with_versions:
        print("some records have no version id (an unversioned bucket): the manifest names keys only", file=sys.stderr)
    return publish(args, objects, with_versions, session)


if __name__ == "__main__":
    sys.exit(main())
