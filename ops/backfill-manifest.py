#!/usr/bin/env python3
"""Writes an S3 Batch Operations CSV manifest of every object under a bucket's prefix (and
ending with a suffix), for a backfill or a reprocess after a settings change, without an
S3 Inventory report. With --upload it puts the manifest into the ops bucket and prints the
ETag (and, with --job-manifest, the file `aws s3control create-job --manifest` reads).

    python3 ops/backfill-manifest.py --bucket INPUT --prefix uploads/ \
        --upload s3://OPS/batch-manifests/backfill.csv --job-manifest job-manifest.json

Credentials, region and endpoint come from the environment (AWS_ENDPOINT_URL for emulators).
Listing reads the current objects only; --versions pins each line to the version current now
(the function never lets an older version's record replace a newer one, so a pinned line that a
new upload overtakes is harmless).
"""

from __future__ import annotations

import argparse
import sys

import boto3

from batch_manifest import ManifestObject, add_output_arguments, publish


def list_objects(s3, bucket: str, prefix: str, suffix: str, versions: bool) -> list[ManifestObject]:
    found = []
    if versions:
        for page in s3.get_paginator("list_object_versions").paginate(Bucket=bucket, Prefix=prefix):
            # Delete markers are listed apart (DeleteMarkers): a deleted key has nothing to process.
            for version in page.get("Versions", []):
                if version["IsLatest"] and version["Key"].endswith(suffix) and not version["Key"].endswith("/"):
                    version_id = version.get("VersionId")
                    if not version_id or version_id == "null":
                        raise SystemExit(f"s3://{bucket}/{version['Key']} has no version id (unversioned bucket): drop --versions")
                    found.append(ManifestObject(bucket, version["Key"], version_id))
    else:
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
            for item in page.get("Contents", []):
                # Keys ending in "/" are the console's folder placeholders, not images.
                if item["Key"].endswith(suffix) and not item["Key"].endswith("/"):
                    found.append(ManifestObject(bucket, item["Key"]))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--bucket", required=True, help="the bucket to backfill (the stack's input bucket)")
    parser.add_argument("--prefix", default="", help="only keys starting with this (the stack's input_prefix)")
    parser.add_argument("--suffix", default="", help="only keys ending with this (the stack's input_suffix)")
    parser.add_argument("--versions", action="store_true", help="add each object's current version id (Fields Bucket,Key,VersionId)")
    add_output_arguments(parser)
    args = parser.parse_args()
    session = boto3.session.Session(region_name=args.region)
    objects = list_objects(session.client("s3"), args.bucket, args.prefix, args.suffix, args.versions)
    return publish(args, objects, args.versions, session)


if __name__ == "__main__":
    sys.exit(main())
