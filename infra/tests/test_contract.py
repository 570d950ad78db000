"""The contract between infra/ and the Rust workspace, checked offline so neither drifts silently.

Three kinds of checks:

* Parsed: every infra/*.tf file is read with the HCL parser checkov uses (bc-python-hcl2) and the
  resources are checked against what the application needs: environment variable names, the
  table's key, ReportBatchItemFailures, the redrive policy, recursion set to Terminate, arm64 by
  default, hardened buckets, and an IAM policy that is exactly the least-privilege set (no
  wildcard action or resource, no write to the input bucket).
* Evaluated: the real `terraform` binary evaluates locals.tf and variables.tf (which reference no
  provider) on a scratch copy: the visibility timeout is >= 6x the function timeout over the whole
  range of the variables, and the variable validations reject what they must.
* Planned: the real `terraform` plans build.tf (provider-free) against a scratch copy of the
  workspace: the cargo-lambda commands are exactly the contract's, and the source hash covers the
  Rust sources but never infra/, target/ or the README.
* Cross-checked with the Rust sources: the workspace has the binaries the stack builds, the code
  reads every IMAGEPIPE_* variable the stack sets, and the S3/DynamoDB calls the code makes are
  exactly what the IAM policy allows.

Run: <venv with checkov>/bin/python -m unittest infra/tests/test_contract.py (scripts/infra-check.sh
does). Needs terraform, cargo and git on PATH; a missing one fails the test, never skips it.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

import hcl2  # bc-python-hcl2, installed with checkov

REPO = Path(__file__).resolve().parents[2]
INFRA = REPO / "infra"

# ---------------------------------------------------------------------------------------------
# The contract with the application (issue 3) and the extension (issue 4).
# ---------------------------------------------------------------------------------------------
FUNCTION_PACKAGE = "imagepipe-application"
FUNCTION_BINARY = "bootstrap"
EXTENSION_PACKAGE = "imagepipe-extension"
EXTENSION_BINARY = "imagepipe-extension"
RUNTIME = "provided.al2023"
DEFAULT_ARCHITECTURE = "arm64"
TABLE_KEY = "object_id"
# Every variable the stack sets itself (extra_environment may add the optional IMAGEPIPE_* ones).
MANAGED_ENVIRONMENT = {
    "IMAGEPIPE_OUTPUT_BUCKET",
    "IMAGEPIPE_RECORDS_TABLE",
    "IMAGEPIPE_OUTPUT_PREFIX",
    "IMAGEPIPE_RENDITIONS",
    "IMAGEPIPE_MIN_REMAINING_MS",
    "IMAGEPIPE_METRICS_NAMESPACE",
    "IMAGEPIPE_METRICS_DIMENSIONS",
    "IMAGEPIPE_ARCHITECTURE",
}
ENVIRONMENT_DEFAULTS = {
    "output_prefix": "renditions/",
    "renditions": "thumb=320x320,display=1600x1600",
    "min_remaining_ms": 10000,
}
INPUT_BUCKET = 'aws_s3_bucket.this["input"]'
OUTPUT_BUCKET = 'aws_s3_bucket.this["output"]'
# (action, resource) pairs the function's policy must grant, and nothing else.
FUNCTION_GRANTS = {
    ("logs:CreateLogStream", "${aws_cloudwatch_log_group.function.arn}:*"),
    ("logs:PutLogEvents", "${aws_cloudwatch_log_group.function.arn}:*"),
    ("s3:GetObject", "${%s.arn}/${var.input_prefix}*" % INPUT_BUCKET),
    ("s3:GetObjectVersion", "${%s.arn}/${var.input_prefix}*" % INPUT_BUCKET),
    ("s3:PutObject", "${%s.arn}/${var.output_prefix}*" % OUTPUT_BUCKET),
    ("dynamodb:GetItem", "${aws_dynamodb_table.records.arn}"),
    ("dynamodb:PutItem", "${aws_dynamodb_table.records.arn}"),
    ("sqs:ReceiveMessage", "${aws_sqs_queue.events.arn}"),
    ("sqs:DeleteMessage", "${aws_sqs_queue.events.arn}"),
    ("sqs:GetQueueAttributes", "${aws_sqs_queue.events.arn}"),
    ("sqs:ChangeMessageVisibility", "${aws_sqs_queue.events.arn}"),
}
# AWS SDK for Rust fluent-builder calls -> the IAM actions they need.
SDK_CALL_ACTIONS = {
    "head_object": {"s3:GetObject", "s3:GetObjectVersion"},
    "get_object": {"s3:GetObject", "s3:GetObjectVersion"},
    "put_object": {"s3:PutObject"},
    "copy_object": {"s3:PutObject", "s3:GetObject"},
    "delete_object": {"s3:DeleteObject"},
    "list_objects_v2": {"s3:ListBucket"},
    "get_item": {"dynamodb:GetItem"},
    "put_item": {"dynamodb:PutItem"},
    "update_item": {"dynamodb:UpdateItem"},
    "delete_item": {"dynamodb:DeleteItem"},
    "query": {"dynamodb:Query"},
    "scan": {"dynamodb:Scan"},
    "batch_get_item": {"dynamodb:BatchGetItem"},
    "batch_write_item": {"dynamodb:BatchWriteItem"},
    "transact_write_items": {"dynamodb:PutItem", "dynamodb:UpdateItem"},
}
# The AWS Lambda limits the visibility check covers.
FUNCTION_TIMEOUT_RANGE = (1, 900)
BATCHING_WINDOW_RANGE = (0, 300)
SQS_MAX_VISIBILITY_TIMEOUT = 43200


# ---------------------------------------------------------------------------------------------
# Reading the configuration
# ---------------------------------------------------------------------------------------------
def unquote(value):
    """bc-python-hcl2 renders a template string as '${"...${x}..."}': give back '...${x}...'."""
    if isinstance(value, str) and value.startswith('${"') and value.endswith('"}'):
        return value[3:-2].replace('\\"', '"')
    return value


def attr(body: dict, name: str):
    """An attribute's value (the parser wraps each one in a one-element list)."""
    if name not in body:
        raise AssertionError(f"attribute {name} is missing")
    return unquote(body[name][0])


def blocks(body: dict, name: str) -> list[dict]:
    return body.get(name, [])


def block(body: dict, name: str) -> dict:
    found = blocks(body, name)
    if len(found) != 1:
        raise AssertionError(f"expected one {name} block, found {len(found)}")
    return found[0]


class Config:
    """The top-level infra/*.tf files, merged."""

    def __init__(self, directory: Path):
        self.resources: dict[tuple[str, str], dict] = {}
        self.data: dict[tuple[str, str], dict] = {}
        self.locals: dict[str, object] = {}
        self.variables: dict[str, dict] = {}
        self.modules: dict[str, dict] = {}
        for path in sorted(directory.glob("*.tf")):
            with path.open() as handle:
                parsed = hcl2.load(handle)
            for kind, target in (("resource", self.resources), ("data", self.data)):
                for entry in parsed.get(kind, []):
                    for type_name, named in entry.items():
                        for name, body in named.items():
                            target[(type_name, name)] = body
            for entry in parsed.get("locals", []):
                for name, value in entry.items():
                    if not name.startswith("__"):
                        self.locals[name] = unquote(value[0])
            for entry in parsed.get("variable", []):
                self.variables.update(entry)
            for entry in parsed.get("module", []):
                self.modules.update(entry)

    def resource(self, type_name: str, name: str) -> dict:
        if (type_name, name) not in self.resources:
            raise AssertionError(f"resource {type_name}.{name} is missing")
        return self.resources[(type_name, name)]

    def of_type(self, type_name: str) -> dict[str, dict]:
        return {name: body for (kind, name), body in self.resources.items() if kind == type_name}

    def local(self, name: str):
        if name not in self.locals:
            raise AssertionError(f"local.{name} is missing")
        return self.locals[name]

    def default(self, variable: str):
        return attr(self.variables[variable], "default")

    def resolve(self, value):
        """Follows a bare '${local.x}' reference to the local's literal value."""
        match = re.fullmatch(r"\$\{local\.([a-z0-9_]+)\}", value) if isinstance(value, str) else None
        return self.resolve(self.local(match.group(1))) if match else value


# ---------------------------------------------------------------------------------------------
# Running terraform and cargo
# ---------------------------------------------------------------------------------------------
def tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise AssertionError(f"{name} is not on PATH: this test needs it (no check is skipped)")
    return path


def terraform_env() -> dict[str, str]:
    env = dict(os.environ, TF_IN_AUTOMATION="1", TF_INPUT="0")
    config = env.get("TF_CLI_CONFIG_FILE")
    if config and not Path(config).is_file():
        env["TF_CLI_CONFIG_FILE"] = os.devnull  # a missing file only makes Terraform warn
    return env


def terraform(directory: Path, *args: str, stdin: str | None = None, check: bool = True):
    result = subprocess.run(
        [tool("terraform"), f"-chdir={directory}", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=terraform_env(),
    )
    if check and result.returncode != 0:
        raise AssertionError(f"terraform {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result


def workspace_files() -> list[str]:
    """Files of the checkout as a clean clone would have them (tracked + new, never ignored)."""
    result = subprocess.run(
        [tool("git"), "-C", str(REPO), "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    )
    return [name for name in result.stdout.decode().split("\0") if name and (REPO / name).is_file()]


# ---------------------------------------------------------------------------------------------
# Parsed checks
# ---------------------------------------------------------------------------------------------
class ParsedContract(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.config = Config(INFRA)

    # The function ------------------------------------------------------------------------------
    def test_function_runtime_architecture_and_code(self):
        c = self.config
        function = c.resource("aws_lambda_function", "this")
        self.assertEqual(c.resolve(attr(function, "runtime")), RUNTIME)
        self.assertEqual(c.resolve(attr(function, "handler")), FUNCTION_BINARY)
        self.assertEqual(attr(function, "architectures"), ["${var.architecture}"])
        self.assertEqual(c.default("architecture"), DEFAULT_ARCHITECTURE)
        self.assertEqual(attr(function, "filename"), "${module.function_build.zip_path}")
        self.assertEqual(attr(function, "source_code_hash"), "${module.function_build.source_hash}")
        self.assertEqual(attr(function, "layers"), ["${aws_lambda_layer_version.extension.arn}"])
        self.assertEqual(attr(function, "memory_size"), "${var.function_memory_mb}")
        self.assertEqual(attr(function, "timeout"), "${var.function_timeout_seconds}")

    def test_function_environment_is_the_contract(self):
        c = self.config
        function = c.resource("aws_lambda_function", "this")
        self.assertEqual(attr(block(function, "environment"), "variables"), "${local.function_environment}")
        self.assertEqual(
            c.local("function_environment"),
            "${merge(var.extra_environment,local.function_managed_environment)}",
            "the managed variables must be merged last, so extra_environment cannot override them",
        )
        managed = c.local("function_managed_environment")
        self.assertEqual(set(k for k in managed if not k.startswith("__")), MANAGED_ENVIRONMENT)
        self.assertEqual(managed["IMAGEPIPE_OUTPUT_BUCKET"], "${%s.id}" % OUTPUT_BUCKET)
        self.assertEqual(managed["IMAGEPIPE_RECORDS_TABLE"], "${aws_dynamodb_table.records.name}")
        self.assertEqual(managed["IMAGEPIPE_ARCHITECTURE"], "${var.architecture}")
        self.assertEqual(managed["IMAGEPIPE_OUTPUT_PREFIX"], "${var.output_prefix}")
        self.assertEqual(managed["IMAGEPIPE_RENDITIONS"], "${var.renditions}")
        self.assertEqual(managed["IMAGEPIPE_MIN_REMAINING_MS"], "${tostring(var.min_remaining_ms)}")
        for variable, expected in ENVIRONMENT_DEFAULTS.items():
            self.assertEqual(c.default(variable), expected, f"default of var.{variable}")

    def test_function_logs_json_to_its_own_log_group_created_first(self):
        c = self.config
        function = c.resource("aws_lambda_function", "this")
        logging = block(function, "logging_config")
        self.assertEqual(attr(logging, "log_format"), "JSON")
        self.assertEqual(attr(logging, "log_group"), "${aws_cloudwatch_log_group.function.name}")
        log_group = c.resource("aws_cloudwatch_log_group", "function")
        self.assertEqual(attr(log_group, "retention_in_days"), "${var.log_retention_days}")
        # The group Lambda would create on its own: /aws/lambda/<function name>.
        self.assertEqual(attr(log_group, "name"), "${local.log_group_name}")
        self.assertEqual(c.local("log_group_name"), "/aws/lambda/${var.name}")
        self.assertEqual(attr(function, "function_name"), "${local.function_name}")
        self.assertEqual(c.local("function_name"), "${var.name}")

    def test_recursion_is_terminated(self):
        c = self.config
        recursion = c.resource("aws_lambda_function_recursion_config", "this")
        self.assertEqual(attr(recursion, "function_name"), "${aws_lambda_function.this.function_name}")
        self.assertEqual(c.resolve(attr(recursion, "recursive_loop")), "Terminate")

    def test_extension_layer(self):
        c = self.config
        layer = c.resource("aws_lambda_layer_version", "extension")
        self.assertEqual(attr(layer, "filename"), "${module.extension_build.zip_path}")
        self.assertEqual(attr(layer, "compatible_runtimes"), ["${local.lambda_runtime}"])
        self.assertEqual(attr(layer, "compatible_architectures"), ["${var.architecture}"])
        lifecycle = block(layer, "lifecycle")
        self.assertEqual(attr(lifecycle, "replace_triggered_by"), ["${terraform_data.extension_source}"])
        trigger = c.resource("terraform_data", "extension_source")
        self.assertEqual(attr(trigger, "input"), "${module.extension_build.source_hash}")

    def test_build_modules(self):
        c = self.config
        function = c.modules["function_build"]
        extension = c.modules["extension_build"]
        for module in (function, extension):
            self.assertEqual(attr(module, "source"), "./modules/rust-lambda-build")
            self.assertEqual(attr(module, "architecture"), "${var.architecture}")
        self.assertEqual(c.resolve(attr(function, "package")), FUNCTION_PACKAGE)
        self.assertEqual(c.resolve(attr(function, "binary")), FUNCTION_BINARY)
        self.assertNotIn("extension", function)
        self.assertEqual(c.resolve(attr(extension, "package")), EXTENSION_PACKAGE)
        self.assertEqual(c.resolve(attr(extension, "binary")), EXTENSION_BINARY)
        self.assertIs(attr(extension, "extension"), True)
        self.assertNotEqual(attr(function, "output_dir"), attr(extension, "output_dir"))

    # The trigger ---------------------------------------------------------------------------------
    def test_event_source_mapping_reports_batch_item_failures(self):
        c = self.config
        mapping = c.resource("aws_lambda_event_source_mapping", "events")
        self.assertEqual(c.resolve(attr(mapping, "function_response_types")), ["ReportBatchItemFailures"])
        self.assertEqual(attr(mapping, "event_source_arn"), "${aws_sqs_queue.events.arn}")
        self.assertEqual(attr(mapping, "function_name"), "${aws_lambda_function.this.arn}")
        self.assertEqual(attr(mapping, "batch_size"), "${var.batch_size}")
        self.assertEqual(attr(mapping, "maximum_batching_window_in_seconds"), "${var.batching_window_seconds}")
        self.assertEqual(attr(block(mapping, "scaling_config"), "maximum_concurrency"), "${var.maximum_concurrency}")

    def test_queue_has_redrive_policy_visibility_and_alarmed_dead_letter_queue(self):
        c = self.config
        queue = c.resource("aws_sqs_queue", "events")
        self.assertEqual(attr(queue, "visibility_timeout_seconds"), "${local.queue_visibility_timeout_seconds}")
        redrive = attr(queue, "redrive_policy")
        self.assertIn("deadLetterTargetArn", redrive)
        self.assertIn("${aws_sqs_queue.dead_letter.arn}", redrive)
        self.assertIn("maxReceiveCount", redrive)
        self.assertIn("${var.max_receive_count}", redrive)
        for name in ("events", "dead_letter"):
            self.assertIs(attr(c.resource("aws_sqs_queue", name), "sqs_managed_sse_enabled"), True)
        alarm = c.resource("aws_cloudwatch_metric_alarm", "dead_letter")
        self.assertEqual(attr(alarm, "namespace"), "AWS/SQS")
        self.assertEqual(attr(alarm, "metric_name"), "ApproximateNumberOfMessagesVisible")
        self.assertEqual(attr(alarm, "dimensions"), {"QueueName": "${aws_sqs_queue.dead_letter.name}"})
        self.assertEqual(attr(alarm, "comparison_operator"), "GreaterThanThreshold")

    def test_only_the_input_bucket_notifies_the_queue(self):
        c = self.config
        notifications = c.of_type("aws_s3_bucket_notification")
        self.assertEqual(list(notifications), ["input"], "exactly one notification, on the input bucket")
        notification = notifications["input"]
        self.assertEqual(attr(notification, "bucket"), "${%s.id}" % INPUT_BUCKET)
        queue = block(notification, "queue")
        self.assertEqual(attr(queue, "queue_arn"), "${aws_sqs_queue.events.arn}")
        self.assertEqual(c.resolve(attr(queue, "events")), ["s3:ObjectCreated:*"])
        self.assertIn("var.input_prefix", attr(queue, "filter_prefix"))
        self.assertIn("var.input_suffix", attr(queue, "filter_suffix"))
        # S3 may send to the queue, from the input bucket only.
        document = c.data[("aws_iam_policy_document", "events_queue")]
        (statement,) = blocks(document, "statement")
        self.assertEqual(attr(statement, "actions"), ["sqs:SendMessage"])
        conditions = {attr(x, "variable"): attr(x, "values") for x in blocks(statement, "condition")}
        self.assertEqual(conditions["aws:SourceArn"], ["${%s.arn}" % INPUT_BUCKET])

    # The table -----------------------------------------------------------------------------------
    def test_table_key_and_protection(self):
        c = self.config
        table = c.resource("aws_dynamodb_table", "records")
        self.assertEqual(c.resolve(attr(table, "hash_key")), TABLE_KEY)
        self.assertNotIn("range_key", table, "the application writes no sort key")
        (attribute,) = blocks(table, "attribute")
        self.assertEqual(c.resolve(attr(attribute, "name")), TABLE_KEY)
        self.assertEqual(c.resolve(attr(attribute, "type")), "S")
        self.assertEqual(attr(table, "billing_mode"), "PAY_PER_REQUEST")
        self.assertIs(attr(block(table, "point_in_time_recovery"), "enabled"), True)
        self.assertIs(attr(block(table, "server_side_encryption"), "enabled"), True)
        self.assertEqual(attr(table, "deletion_protection_enabled"), "${var.table_deletion_protection}")
        self.assertIs(c.default("table_deletion_protection"), True)

    # The buckets ---------------------------------------------------------------------------------
    def test_two_hardened_buckets(self):
        c = self.config
        self.assertEqual(set(k for k in c.local("buckets") if not k.startswith("__")), {"input", "output"})
        self.assertEqual(attr(c.resource("aws_s3_bucket", "this"), "for_each"), "${local.buckets}")
        # Every hardening resource covers every bucket.
        for type_name in (
            "aws_s3_bucket_public_access_block",
            "aws_s3_bucket_ownership_controls",
            "aws_s3_bucket_server_side_encryption_configuration",
            "aws_s3_bucket_versioning",
            "aws_s3_bucket_lifecycle_configuration",
            "aws_s3_bucket_policy",
        ):
            body = c.resource(type_name, "this")
            self.assertEqual(attr(body, "for_each"), "${local.buckets}", type_name)
            self.assertEqual(attr(body, "bucket"), "${aws_s3_bucket.this[each.key].id}", type_name)
        block_public = c.resource("aws_s3_bucket_public_access_block", "this")
        for flag in ("block_public_acls", "block_public_policy", "ignore_public_acls", "restrict_public_buckets"):
            self.assertIs(attr(block_public, flag), True, flag)
        ownership = block(c.resource("aws_s3_bucket_ownership_controls", "this"), "rule")
        self.assertEqual(attr(ownership, "object_ownership"), "BucketOwnerEnforced")
        encryption = block(c.resource("aws_s3_bucket_server_side_encryption_configuration", "this"), "rule")
        self.assertIn(c.resolve(attr(block(encryption, "apply_server_side_encryption_by_default"), "sse_algorithm")), {"AES256", "aws:kms"})
        versioning = block(c.resource("aws_s3_bucket_versioning", "this"), "versioning_configuration")
        self.assertEqual(attr(versioning, "status"), "Enabled")
        rules = blocks(c.resource("aws_s3_bucket_lifecycle_configuration", "this"), "rule")
        self.assertTrue(any("abort_incomplete_multipart_upload" in rule for rule in rules))
        self.assertTrue(any("noncurrent_version_expiration" in rule for rule in rules))
        policy = c.resource("aws_s3_bucket_policy", "this")
        self.assertEqual(attr(policy, "policy"), "${data.aws_iam_policy_document.bucket_tls_only[each.key].json}")
        statements = blocks(c.data[("aws_iam_policy_document", "bucket_tls_only")], "statement")
        insecure = [s for s in statements if any(attr(x, "variable") == "aws:SecureTransport" for x in blocks(s, "condition"))]
        self.assertEqual(len(insecure), 1)
        self.assertEqual(attr(insecure[0], "effect"), "Deny")
        (condition,) = blocks(insecure[0], "condition")
        self.assertEqual((attr(condition, "test"), attr(condition, "values")), ("Bool", ["false"]))

    # IAM -----------------------------------------------------------------------------------------
    def function_statements(self) -> list[dict]:
        return blocks(self.config.data[("aws_iam_policy_document", "function")], "statement")

    def test_function_policy_is_exactly_the_least_privilege_set(self):
        grants = set()
        for statement in self.function_statements():
            self.assertEqual(attr(statement, "effect") if "effect" in statement else "Allow", "Allow")
            for forbidden in ("not_actions", "not_resources", "principals"):
                self.assertNotIn(forbidden, statement)
            for action in attr(statement, "actions"):
                for resource in attr(statement, "resources"):
                    grants.add((action, unquote(resource)))
        self.assertEqual(grants, FUNCTION_GRANTS)

    def test_function_policy_has_no_wildcard_action_or_resource(self):
        for statement in self.function_statements():
            for action in attr(statement, "actions"):
                self.assertNotIn("*", action, f"wildcard action {action}")
            for resource in map(unquote, attr(statement, "resources")):
                # A wildcard may only narrow an ARN of this stack's own resources (objects under a
                # prefix, streams of the log group), never stand alone or in a literal ARN.
                self.assertRegex(resource, r"^\$\{aws_[a-z0-9_]+\.[a-z_]+(\[\"[a-z]+\"\])?\.arn\}", resource)
                self.assertNotIn("*", re.sub(r"\$\{[^}]*\}", "", resource).rstrip("*"), resource)

    def test_function_cannot_write_to_the_input_bucket(self):
        for statement in self.function_statements():
            resources = " ".join(attr(statement, "resources"))
            if INPUT_BUCKET in resources:
                self.assertTrue(set(attr(statement, "actions")) <= {"s3:GetObject", "s3:GetObjectVersion"})
        writes = [s for s in self.function_statements() if "s3:PutObject" in attr(s, "actions")]
        self.assertEqual([attr(s, "resources") for s in writes], [["${\"${%s.arn}/${var.output_prefix}*\"}" % OUTPUT_BUCKET]])

    def test_role_gets_only_this_policy(self):
        c = self.config
        role = c.resource("aws_iam_role", "function")
        self.assertEqual(attr(role, "assume_role_policy"), "${data.aws_iam_policy_document.function_assume_role.json}")
        (trust,) = blocks(c.data[("aws_iam_policy_document", "function_assume_role")], "statement")
        self.assertEqual(attr(block(trust, "principals"), "identifiers"), ["lambda.amazonaws.com"])
        self.assertEqual(list(c.of_type("aws_iam_role_policy")), ["function"])
        self.assertEqual(attr(c.resource("aws_iam_role_policy", "function"), "policy"), "${data.aws_iam_policy_document.function.json}")
        # No managed policy (AWSLambdaBasicExecutionRole grants logs on "*").
        self.assertEqual(c.of_type("aws_iam_role_policy_attachment"), {})
        self.assertNotIn("managed_policy_arns", role)


# ---------------------------------------------------------------------------------------------
# Evaluated and planned with the real terraform binary
# ---------------------------------------------------------------------------------------------
class TerraformEvaluated(unittest.TestCase):
    """variables.tf, locals.tf and build.tf reference no provider: Terraform runs them offline."""

    @classmethod
    def setUpClass(cls):
        cls.scratch = Path(tempfile.mkdtemp(prefix="imagepipe-infra-contract."))
        workspace = cls.scratch / "workspace"
        for name in workspace_files():
            target = workspace / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, target)
        stack = workspace / "infra"
        # Keep only the provider-free files of the stack (and its modules).
        for path in stack.glob("*.tf"):
            if path.name not in {"variables.tf", "locals.tf", "build.tf"}:
                path.unlink()
        (stack / "contract_outputs.tf").write_text(
            "\n".join(
                f'output "{build}_{field}" {{\n  value = module.{build}.{field}\n}}\n'
                for build in ("function_build", "extension_build")
                for field in ("source_files", "source_hash", "build_command")
            )
        )
        # Build output and generated code must never be hashed.
        generated = workspace / "target" / "release" / "build" / "x" / "out" / "generated.rs"
        generated.parent.mkdir(parents=True)
        generated.write_text("// generated\n")
        cls.workspace = workspace
        cls.stack = stack
        terraform(stack, "init", "-no-color")

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def evaluate(self, expression: str, **variables):
        args = [f"-var={name}={value}" for name, value in variables.items()]
        result = terraform(self.stack, "console", *args, stdin=f"jsonencode({expression})\n")
        return json.loads(json.loads(result.stdout.strip().splitlines()[-1]))

    def plan(self, *args: str) -> dict:
        plan_file = self.scratch / "plan.out"
        terraform(self.stack, "plan", "-no-color", f"-out={plan_file}", *args)
        return json.loads(terraform(self.stack, "show", "-json", str(plan_file)).stdout)

    def test_visibility_timeout_is_at_least_six_times_the_function_timeout(self):
        for timeout in (FUNCTION_TIMEOUT_RANGE[0], 120, FUNCTION_TIMEOUT_RANGE[1]):
            for window in BATCHING_WINDOW_RANGE:
                visibility = self.evaluate(
                    "local.queue_visibility_timeout_seconds",
                    function_timeout_seconds=timeout,
                    batching_window_seconds=window,
                )
                self.assertGreaterEqual(visibility, 6 * timeout, (timeout, window))
                self.assertGreaterEqual(visibility, 6 * timeout + window, "the batching window comes on top")
                self.assertLessEqual(visibility, SQS_MAX_VISIBILITY_TIMEOUT, (timeout, window))

    def test_contract_constants(self):
        values = self.evaluate(
            "{runtime = local.lambda_runtime, handler = local.lambda_handler, key = local.records_table_hash_key,"
            " key_type = local.records_table_hash_key_type, response_types = local.function_response_types,"
            " recursion = local.recursive_loop, architecture = var.architecture}"
        )
        self.assertEqual(
            values,
            {
                "runtime": RUNTIME,
                "handler": FUNCTION_BINARY,
                "key": TABLE_KEY,
                "key_type": "S",
                "response_types": ["ReportBatchItemFailures"],
                "recursion": "Terminate",
                "architecture": DEFAULT_ARCHITECTURE,
            },
        )

    def test_validations_reject_bad_values(self):
        rejected = [
            ("architecture", "sparc"),
            ("output_prefix", "renditions"),
            ("output_prefix", "/renditions/"),
            ("input_prefix", "uploads/*"),
            ("function_timeout_seconds", "901"),
            ("maximum_concurrency", "1"),
            ("renditions", "thumb=320"),
            ("extra_environment", '{AWS_REGION="x"}'),
        ] + [("extra_environment", '{%s="x"}' % name) for name in sorted(MANAGED_ENVIRONMENT)]
        for name, value in rejected:
            result = terraform(self.stack, "plan", "-no-color", "-input=false", f"-var={name}={value}", check=False)
            self.assertNotEqual(result.returncode, 0, f"var.{name}={value} was accepted")
            self.assertIn("Invalid value for variable", result.stderr, f"var.{name}={value}: {result.stderr}")
        accepted = terraform(self.stack, "plan", "-no-color", "-var=extra_environment={IMAGEPIPE_AVIF_QUALITY=\"70\"}", check=False)
        self.assertEqual(accepted.returncode, 0, accepted.stderr)

    def test_builds_run_the_contract_commands(self):
        for architecture, flag in (("arm64", "--arm64"), ("x86_64", "--x86-64")):
            plan = self.plan(f"-var=architecture={architecture}")
            outputs = {name: value["value"] for name, value in plan["planned_values"]["outputs"].items()}
            self.assertEqual(
                outputs["function_build_build_command"],
                f"cargo lambda build --release {flag} --output-format zip -p {FUNCTION_PACKAGE} --bin {FUNCTION_BINARY}",
            )
            self.assertEqual(
                outputs["extension_build_build_command"],
                f"cargo lambda build --release {flag} --extension --output-format zip -p {EXTENSION_PACKAGE} --bin {EXTENSION_BINARY}",
            )
            inputs = {
                change["module_address"]: change["change"]["after"]["input"]
                for change in plan["resource_changes"]
                if change["type"] == "terraform_data" and change.get("module_address")
            }
            self.assertTrue(inputs["module.function_build"]["zip_path"].endswith(f"/target/lambda-terraform/function-{architecture}/bootstrap/bootstrap.zip"))
            self.assertTrue(
                inputs["module.extension_build"]["zip_path"].endswith(
                    f"/target/lambda-terraform/extension-{architecture}/extensions/{EXTENSION_BINARY}.zip"
                )
            )

    def test_hash_covers_the_rust_workspace_and_nothing_else(self):
        outputs = {name: value["value"] for name, value in self.plan()["planned_values"]["outputs"].items()}
        files = outputs["function_build_source_files"]
        self.assertEqual(files, outputs["extension_build_source_files"])
        for required in ("Cargo.toml", "Cargo.lock", "rust-toolchain.toml"):
            self.assertIn(required, files)
        for package in ("application", "extension", "core", "adapters"):
            self.assertIn(f"modules/{package}/Cargo.toml", files)
            self.assertTrue(any(f.startswith(f"modules/{package}/src/") and f.endswith(".rs") for f in files), package)
        expected = sorted(
            name
            for name in workspace_files()
            if not name.startswith(("infra/", "target/"))
            and (name.endswith(".rs") or name.endswith("/Cargo.toml") or name in {"Cargo.toml", "Cargo.lock", "rust-toolchain.toml"})
        )
        self.assertEqual(files, expected, "the hash must cover every Rust source and manifest of the checkout")
        self.assertFalse([f for f in files if f.startswith(("infra/", "target/")) or f.endswith(".md")])

    def source_hash(self) -> str:
        return self.plan()["planned_values"]["outputs"]["function_build_source_hash"]["value"]

    def test_readme_and_infra_edits_keep_the_hash_a_rust_edit_changes_it(self):
        fixture_rs = self.stack / "modules" / "rust-lambda-build" / "tests" / "fixture" / "crates" / "function" / "src" / "main.rs"
        rust_file = sorted((self.workspace / "modules").rglob("*.rs"))[0]
        edited = [self.workspace / "README.md", self.stack / "locals.tf", fixture_rs, rust_file]
        saved = {path: path.read_text() for path in edited}
        try:
            before = self.source_hash()
            for path in edited[:3]:
                path.write_text(saved[path] + "\n# edited\n")
            self.assertEqual(before, self.source_hash(), "README, infra/*.tf or the module's fixture changed the hash")
            rust_file.write_text(saved[rust_file] + "\n// edited\n")
            self.assertNotEqual(before, self.source_hash(), f"editing {rust_file} must change the hash")
        finally:
            for path, text in saved.items():
                path.write_text(text)


# ---------------------------------------------------------------------------------------------
# Cross-checked with the Rust workspace
# ---------------------------------------------------------------------------------------------
class RustWorkspaceAgrees(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        result = subprocess.run(
            [tool("cargo"), "metadata", "--no-deps", "--format-version", "1", "--manifest-path", str(REPO / "Cargo.toml")],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            raise AssertionError(f"cargo metadata failed:\n{result.stderr}")
        cls.packages = {p["name"]: p for p in json.loads(result.stdout)["packages"]}
        # What ships: library and binary sources, not tests, benches or examples.
        cls.sources = {
            path: path.read_text()
            for path in sorted((REPO / "modules").rglob("*.rs"))
            if not {"tests", "benches", "examples"} & set(path.relative_to(REPO / "modules").parts)
        }

    def binaries(self, package: str) -> set[str]:
        self.assertIn(package, self.packages, f"the workspace has no package {package}")
        return {t["name"] for t in self.packages[package]["targets"] if "bin" in t["kind"]}

    def test_workspace_has_the_binaries_the_stack_builds(self):
        self.assertIn(FUNCTION_BINARY, self.binaries(FUNCTION_PACKAGE))
        self.assertIn(EXTENSION_BINARY, self.binaries(EXTENSION_PACKAGE))

    def test_code_reads_every_variable_the_stack_sets(self):
        named = set()
        for text in self.sources.values():
            named |= set(re.findall(r'"(IMAGEPIPE_[A-Z0-9_]+)"', text))
        missing = MANAGED_ENVIRONMENT - named
        self.assertFalse(missing, f"the stack sets variables no Rust source names: {sorted(missing)}")

    def test_table_key_is_the_one_the_code_uses(self):
        self.assertTrue(
            any(f'"{TABLE_KEY}"' in text for path, text in self.sources.items() if "adapters" in path.parts),
            f'no "{TABLE_KEY}" string in modules/adapters: the DynamoDB key may have changed',
        )

    def test_iam_grants_exactly_the_s3_and_dynamodb_calls_the_code_makes(self):
        needed = set()
        for text in self.sources.values():
            for call in re.findall(r"\.([a-z_0-9]+)\(\)", text):
                needed |= SDK_CALL_ACTIONS.get(call, set())
        granted = {action for action, _ in FUNCTION_GRANTS if action.split(":")[0] in {"s3", "dynamodb"}}
        self.assertEqual(granted, needed, "the function's S3/DynamoDB permissions and the SDK calls in modules/ differ")


if __name__ == "__main__":
    unittest.main()
