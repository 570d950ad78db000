"""S3 Batch Operations CSV manifests: the rows, the upload, and the `--manifest` argument of
`aws s3control create-job`. Shared by backfill-manifest.py and failed-manifest.py.

Format `S3BatchOperations_CSV_20180820`: one object per line, no header, columns named by the
job's `Fields` (Bucket, Key and optionally VersionId; with VersionId every line has one). The
manifest's contents must be URL-encoded: keys are percent-encoded here with only `/` left as
is, so a space becomes %20 and a literal `+` becomes %2B, and the key reads back the same
whether the function decodes with or without `+`-as-space. Commas and quotes in keys are
encoded too, so no CSV quoting is ever needed.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import boto3

MANIFEST_FORMAT = "S3BatchOperations_CSV_20180820"
CONTENT_TYPE = "text/csv"


@dataclass(frozen=True)
class ManifestObject:
    bucket: str
    key: str
    version_id: str | None = None


def encode_key(key: str) -> str:
    return quote(key, safe="/")


def fields(with_versions: bool) -> list[str]:
    return ["Bucket", "Key", "VersionId"] if with_versions else ["Bucket", "Key"]


def render(objects: list[ManifestObject], with_versions: bool) -> bytes:
    lines = []
    for item in objects:
        row = [item.bucket, encode_key(item.key)]
        if with_versions:
            if not item.version_id:
                raise ValueError(f"s3://{item.bucket}/{item.key} has no version id; a manifest with VersionId needs one on every line")
            row.append(item.version_id)
        lines.append(",".join(row))
    return "".join(line + "\n" for line in lines).encode("utf-8")


def partition(region: str | None) -> str:
    """The ARN partition of a region (the manifest's ObjectArn)."""
    region = region or ""
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def parse_s3_url(url: str) -> tuple[str, str]:
    if not url.startswith("s3://") or "/" not in url[5:] or url.endswith("/"):
        raise argparse.ArgumentTypeError(f"{url!r} is not s3://BUCKET/KEY")
    bucket, key = url[5:].split("/", 1)
    return bucket, key


def add_output_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--output", type=Path, help="also write the CSV manifest to this file")
    parser.add_argument(
        "--upload",
        type=parse_s3_url,
        metavar="s3://BUCKET/KEY",
        help="upload the manifest there (the ops bucket's batch-manifests/ prefix: infra's backfill_commands output)",
    )
    parser.add_argument(
        "--job-manifest",
        type=Path,
        help="with --upload: write create-job's --manifest JSON (format, fields, object ARN, ETag, version) to this file",
    )
    parser.add_argument("--region", help="AWS region (default: the environment's)")


def publish(args: argparse.Namespace, objects: list[ManifestObject], with_versions: bool, session: boto3.session.Session) -> int:
    """Writes, uploads and describes the manifest as the arguments ask; the exit status."""
    body = render(objects, with_versions)
    print(f"{len(objects)} objects, fields {','.join(fields(with_versions))}", file=sys.stderr)
    if args.output:
        args.output.write_bytes(body)
        print(f"manifest written to {args.output}", file=sys.stderr)
    if not args.upload:
        if not args.output:
            sys.stdout.buffer.write(body)
        if args.job_manifest:
            print("--job-manifest needs --upload (create-job names the uploaded object and its ETag)", file=sys.stderr)
            return 2
        return 0
    if not objects:
        print("nothing to upload: a job over an empty manifest would fail", file=sys.stderr)
        return 1
    bucket, key = args.upload
    answer = session.client("s3").put_object(Bucket=bucket, Key=key, Body=body, ContentType=CONTENT_TYPE)
    etag = answer["ETag"].strip('"')
    location = {"ObjectArn": f"arn:{partition(session.region_name)}:s3:::{bucket}/{key}", "ETag": etag}
    if answer.get("VersionId"):
        location["ObjectVersionId"] = answer["VersionId"]
    job_manifest = {"Spec": {"Format": MANIFEST_FORMAT, "Fields": fields(with_versions)}, "Location": location}
    print(f"uploaded to s3://{bucket}/{key}", file=sys.stderr)
    print(f"ETag {etag}")
    if args.job_manifest:
        args.job_manifest.write_text(json.dumps(job_manifest, indent=2) + "\n")
        print(f"create-job --manifest file://{args.job_manifest}", file=sys.stderr)
    else:
        print(f"--manifest '{json.dumps(job_manifest, separators=(',', ':'))}'")
    return 0
