#!/usr/bin/env python3
"""Backfill and reprocess end to end: the runbook (README "Backfill and reprocess") run against
moto server, the release function under `cargo lambda watch`.

moto has no S3 Batch Operations, so this script plays its part: it runs the runbook's own
command (ops/backfill-manifest.py, the CLI shape of infra's `backfill_commands` output), reads
the manifest the job would read (the object and ETag job-manifest.json names), and invokes the
function with one schema-2.0 LambdaInvoke event per manifest line, as a job does, checking each
task's resultCode and resultString. The function's AWS calls go through fault_proxy.py with no
rules (pass-through), whose log gives the calls made per object.

1. Objects in the bucket before any notification exists (good images, a corrupt one, one
   outside the prefix); no events. A backfill records every one of them.
2. The same backfill again: nothing rewritten, no object read (a GetItem and a HEAD each).
3. The function restarted with other renditions; meanwhile one upload's S3 event under the new
   settings. A backfill reprocesses exactly the objects recorded under the old digest.
4. A racing newer upload: a manifest pinning an older version (--versions), the newer
   version's event processed first; the task for the older version leaves the newer record.
Then the re-drive step: ops/failed-manifest.py over the failed-records index (created as
infra/ declares it) gives a manifest of the corrupt object, and that job answers it.

Usage: backfill_run.py --binary PATH
"""

import argparse
import base64
import collections
import csv
import io
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path
from urllib.parse import unquote

import harness
from fault_proxy import FaultProxy
from harness import (
    INPUT_BUCKET, OUTPUT_BUCKET, RENDITIONS, REGION, REPO, SAMPLES, TABLE, UPLOAD_PREFIX, Failure,
    Stack, check, check_complete, check_failed, check_unchanged, drain, log, object_id, s3_event,
)

harness.LOG_PREFIX = "backfill-e2e"
OPS_BUCKET = "e2e-ops"
MANIFEST_PREFIX = "batch-manifests/"
NEW_RENDITIONS = "thumb=96x96"
GOOD = {
    f"{UPLOAD_PREFIX}logo-alpha.png": SAMPLES / "images" / "logo-alpha.png",
    f"{UPLOAD_PREFIX}gradient-16bit.png": SAMPLES / "images" / "gradient-16bit.png",
    f"{UPLOAD_PREFIX}with space+plus/café 東京.gif": SAMPLES / "images" / "astronaut-palette.gif",
    f"{UPLOAD_PREFIX}race/overtaken.webp": SAMPLES / "images" / "coffee.webp",
}
CORRUPT = f"{UPLOAD_PREFIX}corrupt.jpg"
OUTSIDE = "elsewhere/not-listed.png"
FRESH = f"{UPLOAD_PREFIX}fresh-after-change.png"
RACE = f"{UPLOAD_PREFIX}race/overtaken.webp"
CALLS = [("dynamodb", "GetItem"), ("s3", "HeadObject"), ("s3", "GetObject"),
         ("s3", "PutObject"), ("dynamodb", "PutItem")]
ALREADY_COMPLETE = "already complete with these settings"
ALREADY_FAILED = "already recorded as failed with these settings"
NEWER_STANDS = "a newer event's record stands; nothing replaced"


def ops_script(name, *args, work, endpoint):
    """An ops/ script as the runbook runs it, credentials and endpoint from the environment."""
    env = dict(os.environ, AWS_ENDPOINT_URL=endpoint, AWS_ACCESS_KEY_ID="test",
               AWS_SECRET_ACCESS_KEY="test", AWS_DEFAULT_REGION=REGION)
    result = subprocess.run([sys.executable, str(REPO / "ops" / name), *args], cwd=work,
                            capture_output=True, text=True, env=env)
    if result.returncode != 0:
        raise Failure(f"{name} {' '.join(args)} exited {result.returncode}:\n{result.stdout}\n{result.stderr}")
    return result


def backfill_manifest(work, endpoint, name, prefix=UPLOAD_PREFIX, versions=False):
    """infra's backfill_commands, first line: the manifest of the input prefix, uploaded, and
    create-job's --manifest file. Returns that file's path."""
    args = ["--bucket", INPUT_BUCKET, "--prefix", prefix, "--suffix", "", "--region", REGION]
    if versions:
        args.append("--versions")
    job_manifest = Path(work) / f"{name}-job-manifest.json"
    ops_script("backfill-manifest.py", *args,
               "--upload", f"s3://{OPS_BUCKET}/{MANIFEST_PREFIX}{name}.csv",
               "--job-manifest", str(job_manifest), work=work, endpoint=endpoint)
    return job_manifest


def failed_manifest(work, endpoint, name, *kinds):
    """The runbook's re-drive step: the failed records of these kinds, as a manifest."""
    job_manifest = Path(work) / f"{name}-job-manifest.json"
    args = ["--table", TABLE]
    for kind in kinds:
        args += ["--kind", kind]
    result = ops_script("failed-manifest.py", *args,
                        "--upload", f"s3://{OPS_BUCKET}/{MANIFEST_PREFIX}{name}.csv",
                        "--job-manifest", str(job_manifest), work=work, endpoint=endpoint)
    return job_manifest, result.stderr


def manifest_tasks(emulator, job_manifest_path):
    """The lines of the manifest a create-job --manifest file names, read as the job reads
    them: the object at its version, refused when its ETag differs. (bucket, encoded key,
    version or None) per line."""
    job_manifest = json.loads(Path(job_manifest_path).read_text())
    spec, location = job_manifest["Spec"], job_manifest["Location"]
    check(spec["Format"] == "S3BatchOperations_CSV_20180820", f"manifest format {spec['Format']}")
    check(spec["Fields"] in (["Bucket", "Key"], ["Bucket", "Key", "VersionId"]), f"fields {spec['Fields']}")
    bucket, key = location["ObjectArn"].split(":::", 1)[1].split("/", 1)
    extra = {"VersionId": location["ObjectVersionId"]} if "ObjectVersionId" in location else {}
    answer = emulator.s3.get_object(Bucket=bucket, Key=key, **extra)
    check(answer["ETag"].strip('"') == location["ETag"],
          f"the manifest's ETag {answer['ETag']} is not the job's {location['ETag']}")
    rows = []
    for columns in csv.reader(io.StringIO(answer["Body"].read().decode("utf-8"))):
        check(len(columns) == len(spec["Fields"]), f"manifest line {columns} for fields {spec['Fields']}")
        fields = dict(zip(spec["Fields"], columns))
        rows.append((fields["Bucket"], fields["Key"], fields.get("VersionId")))
    return rows


class BatchJob:
    """Plays S3 Batch Operations' LambdaInvoke job: one invocation per manifest line."""

    def __init__(self, function):
        self.function = function
        self.job_id = str(uuid.uuid4())

    def run(self, tasks):
        """{decoded key: (resultCode, resultString)}."""
        answers = {}
        for bucket, encoded_key, version in tasks:
            task_id = base64.b64encode(uuid.uuid4().bytes).decode().rstrip("=")
            invocation_id = base64.b64encode(uuid.uuid4().bytes * 2).decode().rstrip("=")
            event = {
                "invocationSchemaVersion": "2.0",
                "invocationId": invocation_id,
                "job": {"id": self.job_id, "userArguments": {}},
                "tasks": [{"taskId": task_id, "s3Bucket": bucket, "s3Key": encoded_key,
                           "s3VersionId": version}],
            }
            answer = self.function.invoke(event)
            check(isinstance(answer, dict), f"{encoded_key}: the invocation failed: {answer}")
            check(answer.get("invocationSchemaVersion") == "2.0" and answer.get("invocationId") == invocation_id,
                  f"{encoded_key}: the answer does not echo the invocation: {answer}")
            check(answer.get("treatMissingKeysAs") in ("Succeeded", "TemporaryFailure", "PermanentFailure"),
                  f"{encoded_key}: treatMissingKeysAs {answer.get('treatMissingKeysAs')}")
            results = answer.get("results", [])
            check(len(results) == 1 and results[0].get("taskId") == task_id,
                  f"{encoded_key}: one result for task {task_id} expected: {results}")
            answers[unquote(encoded_key)] = (results[0]["resultCode"], results[0]["resultString"])
        return answers


def check_answers(answers, expected, what):
    """`expected`: key -> (resultCode, resultString or a prefix ending in ':')."""
    check(sorted(answers) == sorted(expected),
          f"{what}: tasks for {sorted(answers)}, expected {sorted(expected)}")
    for key, (code, text) in expected.items():
        got_code, got_text = answers[key]
        matches = got_text.startswith(text) if text.endswith(":") else got_text == text
        check(got_code == code and matches,
              f"{what}: {key} answered {got_code} {got_text!r}, expected {code} {text!r}")


def calls_per_object(proxy, keys):
    """{key: Counter of the calls CALLS names} from the proxy's log, by the object each call is
    about: a record's object_id, the input object, or an output of it (its key's slug)."""
    counts = {key: collections.Counter() for key in keys}
    for entry in proxy.entries():
        operation = (entry["service"], entry["operation"])
        if operation not in CALLS:
            continue
        about = entry["key"] or ""
        for key in keys:
            if about in (object_id(key), f"{INPUT_BUCKET}/{key}") or (
                    about.startswith(f"{OUTPUT_BUCKET}/") and operation == ("s3", "PutObject")
                    and output_of(about, key)):
                counts[key][entry["operation"]] += 1
    return counts


OUTPUT_KEYS = {}


def output_of(output_path, key):
    """True when output_path (bucket/key) is a rendition some record of `key` ever named."""
    return output_path.split("/", 1)[1] in OUTPUT_KEYS.get(key, set())


def remember_outputs(records):
    for item in records.values():
        for output in item.get("outputs", {}).get("L", []):
            OUTPUT_KEYS.setdefault(item["key"]["S"], set()).add(output["M"]["key"]["S"])


def print_calls(title, counts):
    log(title)
    print(f"    {'object':<44} " + " ".join(f"{op:>10}" for _, op in CALLS))
    for key, counter in counts.items():
        print(f"    {key:<44} " + " ".join(f"{counter[op]:>10}" for _, op in CALLS))


def check_calls(counts, expected, what):
    for key, counter in counts.items():
        wanted = collections.Counter(expected(key))
        check(+counter == +wanted, f"{what}: {key} made {dict(counter)}, expected {dict(wanted)}")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    args = parser.parse_args()
    stack = Stack(args.binary)
    work = stack.work

    def scenario():
        emulator = stack.start_moto(notify=False)
        endpoint = stack.endpoint
        proxy = FaultProxy(int(endpoint.rsplit(":", 1)[1])).start()
        stack.function_endpoint = proxy.endpoint
        emulator.s3.create_bucket(Bucket=OPS_BUCKET)
        emulator.s3.put_bucket_versioning(Bucket=OPS_BUCKET, VersioningConfiguration={"Status": "Enabled"})
        function = stack.start_function()

        # 1. Objects that were there before the stack: no notification, no event.
        for key, path in GOOD.items():
            emulator.s3.put_object(Bucket=INPUT_BUCKET, Key=key, Body=path.read_bytes())
        emulator.s3.put_object(Bucket=INPUT_BUCKET, Key=CORRUPT, Body=(SAMPLES / "hostile" / "corrupt.jpg").read_bytes())
        emulator.s3.put_object(Bucket=INPUT_BUCKET, Key=OUTSIDE, Body=GOOD[next(iter(GOOD))].read_bytes())
        check(emulator.queue_depth(emulator.queue_url) == 0, "an upload reached the queue: a notification exists")
        check(not emulator.records(), "records exist before any backfill")
        listed = list(GOOD) + [CORRUPT]
        expected_tasks = sorted(listed)

        proxy.log.clear()
        tasks = manifest_tasks(emulator, backfill_manifest(work, endpoint, "backfill"))
        check(all(version is None for _, _, version in tasks), "a manifest without --versions names versions")
        first = BatchJob(function).run(tasks)
        check_answers(first, {**{k: ("Succeeded", "complete: 2 outputs") for k in GOOD},
                              CORRUPT: ("PermanentFailure", "corrupt:")}, "first backfill")
        records = emulator.records()
        check(sorted(records) == sorted(object_id(k) for k in expected_tasks),
              f"records after the backfill: {sorted(records)}")
        for key in GOOD:
            check_complete(emulator, key, records[object_id(key)], work)
        check_failed(CORRUPT, records[object_id(CORRUPT)], {"corrupt"})
        remember_outputs(records)
        old_digest = records[object_id(CORRUPT)]["settings_digest"]["S"]
        check({item["settings_digest"]["S"] for item in records.values()} == {old_digest},
              "one function, one settings digest")
        processing = calls_per_object(proxy, listed)
        print_calls("calls per object, first backfill (no record yet):", processing)
        check_calls(processing, lambda key: {"GetItem": 1, "GetObject": 1, "PutItem": 1,
                                             "PutObject": 2 if key in GOOD else 0}, "first backfill")
        log(f"backfill of {len(tasks)} manifest lines ({OUTSIDE} not listed): {len(GOOD)} Succeeded "
            "with complete records whose AVIFs avifdec decodes, the corrupt one PermanentFailure "
            "with its failed record")

        # 2. The same backfill again: a cheap success for every object, nothing written.
        before_records, before_outputs = emulator.records(), emulator.output_objects()
        proxy.log.clear()
        again = BatchJob(function).run(manifest_tasks(emulator, backfill_manifest(work, endpoint, "backfill")))
        check_answers(again, {**{k: ("Succeeded", ALREADY_COMPLETE) for k in GOOD},
                              CORRUPT: ("PermanentFailure", ALREADY_FAILED)}, "the same backfill again")
        check_unchanged(before_records, emulator.records(), "a backfill with unchanged settings")
        check(emulator.output_objects() == before_outputs, "a no-op backfill wrote outputs")
        noop = calls_per_object(proxy, listed)
        print_calls("calls per object, the same backfill again (no-op):", noop)
        check_calls(noop, lambda key: {"GetItem": 1, "HeadObject": 1}, "no-op backfill")
        log("the same backfill again: every task answered from its record, no record rewritten, "
            "no output written, no object read")

        # 3. A settings change: the function restarts with other renditions; meanwhile an
        #    upload's event (S3's notification as S3 sends it: version id, sequencer) goes
        #    through the queue under the new settings.
        stack.processes.stop(stack.function_process)
        stack.extra_env = {"IMAGEPIPE_RENDITIONS": NEW_RENDITIONS}
        function = stack.start_function()
        put = emulator.s3.put_object(Bucket=INPUT_BUCKET, Key=FRESH, Body=(SAMPLES / "images" / "chelsea-exif-rotated.jpg").read_bytes())
        head = emulator.s3.head_object(Bucket=INPUT_BUCKET, Key=FRESH, VersionId=put["VersionId"])
        emulator.sqs.send_message(QueueUrl=emulator.queue_url, MessageBody=json.dumps(s3_event(head, FRESH, 1)))
        responses = drain(emulator, function, {})
        check(all(not failed for _, failed in responses), f"the upload's event was handed back: {responses}")
        fresh = emulator.record(FRESH)
        check_complete(emulator, FRESH, fresh, work, renditions=NEW_RENDITIONS)
        new_digest = fresh["settings_digest"]["S"]
        check(new_digest != old_digest, f"other renditions, same digest {new_digest}")

        listed.append(FRESH)
        before_records, before_outputs = emulator.records(), emulator.output_objects()
        proxy.log.clear()
        reprocess = BatchJob(function).run(manifest_tasks(emulator, backfill_manifest(work, endpoint, "backfill")))
        check_answers(reprocess, {**{k: ("Succeeded", "complete: 1 outputs") for k in GOOD},
                                  CORRUPT: ("PermanentFailure", "corrupt:"),
                                  FRESH: ("Succeeded", ALREADY_COMPLETE)}, "backfill after the settings change")
        records = emulator.records()
        check_unchanged({FRESH: before_records[object_id(FRESH)]}, {FRESH: records[object_id(FRESH)]},
                        "a backfill of the object made under the new settings")
        for key in GOOD:
            item, old = records[object_id(key)], before_records[object_id(key)]
            check_complete(emulator, key, item, work, renditions=NEW_RENDITIONS)
            check(item["settings_digest"]["S"] == new_digest, f"{key}: digest {item['settings_digest']} after the reprocess")
            check(item["version_id"] == old["version_id"], f"{key}: the reprocess changed the version")
            check(int(item["processed_at_ms"]["N"]) > int(old["processed_at_ms"]["N"]), f"{key}: not rewritten")
        check_failed(CORRUPT, records[object_id(CORRUPT)], {"corrupt"})
        check(records[object_id(CORRUPT)]["settings_digest"]["S"] == new_digest, "the corrupt object was not reprocessed")
        remember_outputs(records)
        outputs = emulator.output_objects()
        rewritten = sorted(k for k in outputs if k in before_outputs and outputs[k] != before_outputs[k])
        check(len(rewritten) == len(GOOD), f"{len(rewritten)} renditions rewritten in place, expected one per object")
        check(set(outputs) == set(before_outputs), "a reprocess wrote under new keys")
        reprocessing = calls_per_object(proxy, listed)
        print_calls(f"calls per object, backfill after the settings change (renditions {RENDITIONS} -> {NEW_RENDITIONS}):", reprocessing)
        check_calls(reprocessing, lambda key: {"GetItem": 1, "HeadObject": 1} if key == FRESH else
                    {"GetItem": 1, "HeadObject": 1, "GetObject": 1, "PutItem": 1,
                     "PutObject": 1 if key in GOOD else 0}, "reprocess")
        stale = sorted(k for k in outputs if k.endswith("/display.avif"))
        log(f"settings changed ({RENDITIONS} -> {NEW_RENDITIONS}): the backfill reprocessed the "
            f"{len(GOOD) + 1} objects recorded under the old digest (new digest, {NEW_RENDITIONS} "
            f"outputs), the one made under the new settings was a cheap success; {len(stale)} "
            "'display' renditions stay in the output bucket, named by no record (README)")

        # 4. A racing newer upload that wins: the manifest pins the version current when it
        #    was made; the next version's event is processed before the job's task.
        race_tasks = manifest_tasks(emulator, backfill_manifest(work, endpoint, "race", prefix=f"{UPLOAD_PREFIX}race/", versions=True))
        pinned = records[object_id(RACE)]["version_id"]["S"]
        check(race_tasks and [(unquote(k), v) for _, k, v in race_tasks] == [(RACE, pinned)],
              f"the --versions manifest: {race_tasks}, expected {RACE} at {pinned}")
        put = emulator.s3.put_object(Bucket=INPUT_BUCKET, Key=RACE, Body=(SAMPLES / "images" / "astronaut-cmyk.jpg").read_bytes())
        head = emulator.s3.head_object(Bucket=INPUT_BUCKET, Key=RACE, VersionId=put["VersionId"])
        emulator.sqs.send_message(QueueUrl=emulator.queue_url, MessageBody=json.dumps(s3_event(head, RACE, 2)))
        drain(emulator, function, {})
        newer = emulator.record(RACE)
        check(newer["version_id"]["S"] == put["VersionId"] and "sequencer" in newer,
              f"the newer version's event was not recorded: {newer.get('version_id')}")
        check_complete(emulator, RACE, newer, work, renditions=NEW_RENDITIONS)
        remember_outputs({RACE: newer})
        proxy.log.clear()
        raced = BatchJob(function).run(race_tasks)
        check_answers(raced, {RACE: ("Succeeded", NEWER_STANDS)}, "the task for the overtaken version")
        check_unchanged({RACE: newer}, {RACE: emulator.record(RACE)}, "the task for the overtaken version")
        race_calls = calls_per_object(proxy, [RACE])
        print_calls("calls per object, a task for a version a newer event's record overtook:", race_calls)
        log(f"{RACE}: the task for the pinned version {pinned[:12]}... answered Succeeded "
            f"({NEWER_STANDS!r}); the record is still the newer version's {put['VersionId'][:12]}...")

        # The re-drive step: failed records -> manifest -> job.
        job_manifest, counted = failed_manifest(work, endpoint, "failed", "corrupt")
        check("corrupt: 1" in counted, f"failed-manifest.py counted {counted!r}")
        failed_tasks = manifest_tasks(emulator, job_manifest)
        corrupt_version = emulator.record(CORRUPT)["version_id"]["S"]
        check([(b, unquote(k), v) for b, k, v in failed_tasks] == [(INPUT_BUCKET, CORRUPT, corrupt_version)],
              f"the failed-records manifest: {failed_tasks}")
        every_kind = manifest_tasks(emulator, failed_manifest(work, endpoint, "failed-all")[0])
        check(every_kind == failed_tasks, f"the sparse index holds more than the failure: {every_kind}")
        redrive = BatchJob(function).run(failed_tasks)
        check_answers(redrive, {CORRUPT: ("PermanentFailure", ALREADY_FAILED)}, "the re-drive of the unrepaired object")
        log("failed-manifest.py over the failed-by-kind index: a manifest of exactly the corrupt "
            "object at its version; re-driven unrepaired, it answers PermanentFailure from its record")

        check(stack.function_alive(), "the function process died")
        check("panicked" not in stack.function_output(), "the function log shows a panic")
        proxy.stop()

    stack.run(scenario)


if __name__ == "__main__":
    main()
