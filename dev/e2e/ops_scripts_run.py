"""The operator's scripts (ops/backfill-manifest.py, ops/failed-manifest.py) against a moto
server: a versioned input bucket with awkward keys, an ops bucket, and a records table with the
failed-records index exactly as infra/ declares it (names read from infra/locals.tf). Checks the
manifests' lines decode to exactly the expected keys and versions, that the uploaded manifest's
ETag and version are what create-job is given, and that create-job's arguments built from the
scripts' output validate against the AWS CLI's own model of s3control CreateJob (moto has no
S3 Batch Operations, so no job runs here).

Run: python3 dev/e2e/ops_scripts_run.py (dev/e2e/ops-scripts-e2e.sh does).
"""

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from urllib.parse import unquote, unquote_plus

import boto3
from botocore.session import get_session
from botocore.validate import ParamValidator

import harness
from harness import REPO, Failure, Processes, check, create_records_table, infra_local, log

harness.LOG_PREFIX = "ops-scripts"
OPS = REPO / "ops"
INPUT_BUCKET = "ops-e2e-input"
OPS_BUCKET = "ops-e2e-ops"
TABLE = "ops-e2e-records"
KEYS = [
    "uploads/plain.jpg",
    "uploads/with space.jpg",
    "uploads/plus+sign.jpg",
    "uploads/comma,and\"quote.jpg",
    "uploads/percent%41.jpg",
    "uploads/ünïcödé/日本.jpg",
    "uploads/deep/a/b/c.jpg",
]
IGNORED_KEYS = ["uploads/folder/", "uploads/notes.txt", "elsewhere/x.jpg"]


def run_script(name, *args, env):
    result = subprocess.run([sys.executable, str(OPS / name), *args], capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise Failure(f"{name} {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def manifest_rows(body):
    """(bucket, key, version) per line, the key decoded both ways a function may decode it."""
    rows = []
    for line in body.decode("utf-8").splitlines():
        columns = line.split(",")
        check(len(columns) in (2, 3), f"a manifest line must be Bucket,Key[,VersionId]: {line!r}")
        check(unquote(columns[1]) == unquote_plus(columns[1]), f"{columns[1]!r} decodes differently with and without +-as-space")
        rows.append((columns[0], unquote_plus(columns[1]), columns[2] if len(columns) == 3 else None))
    return rows


def validate_create_job(job_manifest):
    """create-job's arguments as infra's backfill_commands output gives them, checked by botocore."""
    model = get_session().get_service_model("s3control").operation_model("CreateJob")
    params = {
        "AccountId": "111122223333",
        "ConfirmationRequired": False,
        "Priority": 10,
        "RoleArn": "arn:aws:iam::111122223333:role/imagepipe-batch-operations",
        "ClientRequestToken": "filled-in-by-the-cli",
        "Operation": {"LambdaInvoke": {"FunctionArn": "arn:aws:lambda:us-east-1:111122223333:function:imagepipe", "InvocationSchemaVersion": "2.0"}},
        "Manifest": job_manifest,
        "Report": {"Bucket": f"arn:aws:s3:::{OPS_BUCKET}", "Format": "Report_CSV_20180820", "Enabled": True, "Prefix": "batch-reports", "ReportScope": "AllTasks"},
    }
    report = ParamValidator().validate(params, model.input_shape)
    check(not report.has_errors(), f"create-job arguments do not match the CLI's model:\n{report.generate_report()}")


def main():
    work = Path(tempfile.mkdtemp(prefix="ops-scripts-e2e."))
    processes = Processes(work)
    try:
        endpoint = harness.start_moto(processes)
        env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test",
                   AWS_DEFAULT_REGION=harness.REGION, AWS_REGION=harness.REGION)
        session = boto3.session.Session(aws_access_key_id="test", aws_secret_access_key="test", region_name=harness.REGION)
        s3 = session.client("s3", endpoint_url=endpoint)
        dynamodb = session.client("dynamodb", endpoint_url=endpoint)

        for bucket in (INPUT_BUCKET, OPS_BUCKET):
            s3.create_bucket(Bucket=bucket)
            s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
        current = {}
        for key in KEYS + IGNORED_KEYS:
            s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=b"first")
            current[key] = s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=b"second")["VersionId"]

        # --- backfill-manifest.py ---------------------------------------------------------------
        listed = work / "backfill.csv"
        run_script("backfill-manifest.py", "--bucket", INPUT_BUCKET, "--prefix", "uploads/", "--suffix", ".jpg", "--output", str(listed), env=env)
        rows = manifest_rows(listed.read_bytes())
        check(sorted(rows) == sorted((INPUT_BUCKET, key, None) for key in KEYS),
              f"backfill manifest lines: {rows}")
        log(f"backfill manifest: {len(rows)} lines, keys decode exactly, folder/suffix/prefix filtered")

        job_manifest_path = work / "job-manifest.json"
        uploaded = run_script("backfill-manifest.py", "--bucket", INPUT_BUCKET, "--prefix", "uploads/", "--suffix", ".jpg", "--versions",
                              "--upload", f"s3://{OPS_BUCKET}/batch-manifests/backfill.csv", "--job-manifest", str(job_manifest_path), env=env)
        head = s3.head_object(Bucket=OPS_BUCKET, Key="batch-manifests/backfill.csv")
        etag = head["ETag"].strip('"')
        check(uploaded.stdout.strip() == f"ETag {etag}", f"the script must print the uploaded manifest's ETag: {uploaded.stdout!r}")
        job_manifest = json.loads(job_manifest_path.read_text())
        check(job_manifest == {
            "Spec": {"Format": "S3BatchOperations_CSV_20180820", "Fields": ["Bucket", "Key", "VersionId"]},
            "Location": {"ObjectArn": f"arn:aws:s3:::{OPS_BUCKET}/batch-manifests/backfill.csv", "ETag": etag, "ObjectVersionId": head["VersionId"]},
        }, f"job manifest: {job_manifest}")
        body = s3.get_object(Bucket=OPS_BUCKET, Key="batch-manifests/backfill.csv")["Body"].read()
        check(sorted(manifest_rows(body)) == sorted((INPUT_BUCKET, key, current[key]) for key in KEYS),
              "the uploaded manifest must pin each key's current version")
        validate_create_job(job_manifest)
        log("backfill manifest uploaded: ETag printed, --manifest JSON names its object, ETag and version; create-job arguments validate")

        # --- failed-manifest.py -------------------------------------------------------------------
        index = infra_local("failed_index_name")
        hash_key, range_key = infra_local("failed_index_hash_key"), infra_local("failed_index_range_key")
        spec = importlib.util.spec_from_file_location("failed_manifest", OPS / "failed-manifest.py")
        script = importlib.util.module_from_spec(spec)
        sys.path.insert(0, str(OPS))
        spec.loader.exec_module(script)
        check((script.FAILED_INDEX_NAME, script.FAILED_KIND, script.PROCESSED_AT_MS) == (index, hash_key, range_key),
              "failed-manifest.py's index and key names must be infra/locals.tf's")
        create_records_table(dynamodb, TABLE)
        failed = {"uploads/with space.jpg": ("corrupt", 1_000), "uploads/plus+sign.jpg": ("corrupt", 3_000),
                  "uploads/ünïcödé/日本.jpg": ("too_many_pixels", 2_000)}
        for at, key in enumerate(KEYS):
            item = {"object_id": {"S": f"s3://{INPUT_BUCKET}/{key}"}, "bucket": {"S": INPUT_BUCKET}, "key": {"S": key},
                    "version_id": {"S": current[key]}, "processed_at_ms": {"N": str(500 + at)}}
            if key in failed:
                kind, at_ms = failed[key]
                item.update(status={"S": "failed"}, failed_kind={"S": kind}, processed_at_ms={"N": str(at_ms)},
                            failure={"M": {"kind": {"S": kind}, "reason": {"S": "test"}}})
            else:
                item.update(status={"S": "complete"})
            dynamodb.put_item(TableName=TABLE, Item=item)

        def failed_rows(*args):
            out = work / "failed.csv"
            result = run_script("failed-manifest.py", "--table", TABLE, "--output", str(out), *args, env=env)
            return sorted(manifest_rows(out.read_bytes())), result.stderr

        rows, stderr = failed_rows("--kind", "corrupt")
        check(rows == sorted((INPUT_BUCKET, key, current[key]) for key in failed if failed[key][0] == "corrupt"), f"--kind corrupt: {rows}")
        check("corrupt: 2" in stderr, f"the count per kind must be printed: {stderr}")
        rows, _ = failed_rows()
        check(rows == sorted((INPUT_BUCKET, key, current[key]) for key in failed), f"every kind (index scan): {rows}")
        rows, _ = failed_rows("--kind", "corrupt", "--kind", "too_many_pixels", "--since-ms", "2000", "--latest")
        check(rows == sorted([(INPUT_BUCKET, "uploads/plus+sign.jpg", None), (INPUT_BUCKET, "uploads/ünïcödé/日本.jpg", None)]),
              f"--since-ms 2000 --latest: {rows}")
        log("failed manifest: by kind (query), every kind (scan of the sparse index), --since-ms, --latest")

        uploaded = run_script("failed-manifest.py", "--table", TABLE, "--kind", "corrupt",
                              "--upload", f"s3://{OPS_BUCKET}/batch-manifests/failed.csv", "--job-manifest", str(job_manifest_path), env=env)
        validate_create_job(json.loads(job_manifest_path.read_text()))
        check(uploaded.stdout.startswith("ETag "), f"failed-manifest.py --upload must print the ETag: {uploaded.stdout!r}")
        log("failed manifest uploaded; create-job arguments validate")
        log("PASS")
    finally:
        processes.stop_all()


if __name__ == "__main__":
    try:
        main()
    except Failure as failure:
        print(f"ops-scripts: FAIL: {failure}", file=sys.stderr)
        sys.exit(1)
