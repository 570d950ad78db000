"""The contract between infra/ and the Rust workspace: what `terraform test` cannot check.

infra/tests/*.tftest.hcl plan the whole stack with a mock AWS provider and assert the contract's
values (runtime, environment, IAM grants, queue, buckets, table, variable validations, build
commands). What a plan with mocked values cannot show is checked here:

* Wiring, parsed from infra/*.tf with the HCL parser checkov uses (bc-python-hcl2): which policy
  document each policy attribute is given (their JSON is only known at apply), the extension
  layer's replacement on a source change, that no other policy reaches the role and that only
  the input bucket notifies.
* Planned: the real `terraform` plans build.tf (provider-free) against a scratch copy of the
  workspace: the zips are written where the stack reads them, and the source hash covers the
  Rust sources but never infra/, target/ or the README.
* Cross-checked with the Rust sources: the workspace has the binaries the stack builds, the code
  reads every IMAGEPIPE_* variable the stack sets, reads the table by the key the stack declares,
  and the S3/DynamoDB calls the code makes are exactly what the stack's IAM policy allows.
* The operator's view against what is emitted: the extension's own renderer prints an EMF line
  (modules/extension/examples/emf_line.rs) and every extension metric the dashboard and alarms
  name must be in it, with its namespace and dimensions as the stack computes them (locals.tf,
  evaluated by `terraform console`); the log lines the stack's metric filters count must be the
  ones the function logs, with the status values the filters' dimension expects.

Run: <venv with checkov>/bin/python -m unittest infra/tests/test_contract.py (dev/ci/infra-check.sh
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

INPUT_BUCKET = 'aws_s3_bucket.this["input"]'
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
# Actions granted for what S3 answers rather than for a call the code makes: without
# s3:ListBucket, a GetObject of a deleted key answers 403 AccessDenied instead of 404 NoSuchKey,
# and the function retries denials (deployment errors) but records deleted objects as failed.
ANSWER_ACTIONS = {"get_object": {"s3:ListBucket"}}


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


def terraform(directory: Path, *args: str):
    result = subprocess.run(
        [tool("terraform"), f"-chdir={directory}", *args],
        capture_output=True,
        text=True,
        env=terraform_env(),
    )
    if result.returncode != 0:
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
# Wiring, parsed
# ---------------------------------------------------------------------------------------------
class ParsedWiring(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.config = Config(INFRA)

    def test_code_comes_from_the_build_modules(self):
        c = self.config
        function = c.resource("aws_lambda_function", "this")
        self.assertEqual(attr(function, "filename"), "${module.function_build.zip_path}")
        layer = c.resource("aws_lambda_layer_version", "extension")
        self.assertEqual(attr(layer, "filename"), "${module.extension_build.zip_path}")
        self.assertNotEqual(attr(c.modules["function_build"], "output_dir"), attr(c.modules["extension_build"], "output_dir"))

    def test_extension_source_change_replaces_the_layer_before_the_old_one_goes(self):
        lifecycle = block(self.config.resource("aws_lambda_layer_version", "extension"), "lifecycle")
        self.assertEqual(attr(lifecycle, "replace_triggered_by"), ["${terraform_data.extension_source}"])
        self.assertIs(attr(lifecycle, "create_before_destroy"), True)

    def test_each_policy_is_its_own_document(self):
        c = self.config
        wiring = {
            ("aws_iam_role", "function", "assume_role_policy"): "${data.aws_iam_policy_document.function_assume_role.json}",
            ("aws_iam_role_policy", "function", "policy"): "${data.aws_iam_policy_document.function.json}",
            ("aws_iam_role", "batch_operations", "assume_role_policy"): "${data.aws_iam_policy_document.batch_operations_assume_role.json}",
            ("aws_iam_role_policy", "batch_operations", "policy"): "${data.aws_iam_policy_document.batch_operations.json}",
            ("aws_sqs_queue_policy", "events", "policy"): "${data.aws_iam_policy_document.events_queue.json}",
            ("aws_s3_bucket_policy", "this", "policy"): "${data.aws_iam_policy_document.bucket_tls_only[each.key].json}",
        }
        for (type_name, name, attribute), expected in wiring.items():
            self.assertEqual(attr(c.resource(type_name, name), attribute), expected, f"{type_name}.{name}.{attribute}")

    def test_each_role_gets_only_its_policy(self):
        c = self.config
        policies = c.of_type("aws_iam_role_policy")
        self.assertEqual(sorted(policies), ["batch_operations", "function"])
        for name, policy in policies.items():
            self.assertEqual(attr(policy, "role"), f"${{aws_iam_role.{name}.id}}", f"aws_iam_role_policy.{name} must be on its own role")
        # No managed policy (AWSLambdaBasicExecutionRole grants logs on "*").
        self.assertEqual(c.of_type("aws_iam_role_policy_attachment"), {})
        self.assertEqual(c.of_type("aws_iam_role_policies_exclusive"), {})
        for name in ("function", "batch_operations"):
            self.assertNotIn("managed_policy_arns", c.resource("aws_iam_role", name))

    def test_nothing_but_the_function_writes_under_the_input_bucket(self):
        # A Batch Operations report or manifest under the input bucket would be queued for the
        # function (the notification may cover every key): the batch role never names it.
        statements = blocks(self.config.data[("aws_iam_policy_document", "batch_operations")], "statement")
        for statement in statements:
            for resource in attr(statement, "resources"):
                self.assertNotIn('this["input"]', resource, attr(statement, "sid"))
                self.assertNotIn('this["output"]', resource, attr(statement, "sid"))

    def test_only_the_input_bucket_notifies(self):
        notifications = self.config.of_type("aws_s3_bucket_notification")
        self.assertEqual(list(notifications), ["input"], "exactly one notification, on the input bucket")
        self.assertEqual(attr(notifications["input"], "bucket"), "${%s.id}" % INPUT_BUCKET)


# ---------------------------------------------------------------------------------------------
# Planned with the real terraform binary
# ---------------------------------------------------------------------------------------------
class BuildsPlanned(unittest.TestCase):
    """variables.tf, locals.tf and build.tf reference no provider: Terraform plans them offline."""

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
                for field in ("source_files", "source_hash")
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

    def plan(self, *args: str) -> dict:
        plan_file = self.scratch / "plan.out"
        terraform(self.stack, "plan", "-no-color", f"-out={plan_file}", *args)
        return json.loads(terraform(self.stack, "show", "-json", str(plan_file)).stdout)

    def test_builds_write_the_zips_where_the_stack_reads_them(self):
        # The zip paths are the build resources' planned inputs (the module's zip_path output is
        # known only after the build, so terraform test cannot see it).
        config = Config(INFRA)
        function_binary = config.local("function_binary")
        extension_binary = config.local("extension_binary")
        for architecture in ("arm64", "x86_64"):
            plan = self.plan(f"-var=architecture={architecture}")
            inputs = {
                change["module_address"]: change["change"]["after"]["input"]
                for change in plan["resource_changes"]
                if change["type"] == "terraform_data" and change.get("module_address")
            }
            self.assertTrue(
                inputs["module.function_build"]["zip_path"].endswith(
                    f"/target/lambda-terraform/function-{architecture}/{function_binary}/bootstrap.zip"
                ),
                inputs["module.function_build"]["zip_path"],
            )
            self.assertTrue(
                inputs["module.extension_build"]["zip_path"].endswith(
                    f"/target/lambda-terraform/extension-{architecture}/extensions/{extension_binary}.zip"
                ),
                inputs["module.extension_build"]["zip_path"],
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
            and (name.endswith(".rs") or name.endswith("/Cargo.toml")
                 or name in {"Cargo.toml", "Cargo.lock", "rust-toolchain.toml", ".cargo/config.toml"})
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
    """What infra/*.tf declares (terraform test asserts those values) against the Rust code."""

    @classmethod
    def setUpClass(cls):
        cls.config = Config(INFRA)
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
        c = self.config
        self.assertIn(c.local("function_binary"), self.binaries(c.local("function_package")))
        self.assertIn(c.local("extension_binary"), self.binaries(c.local("extension_package")))

    def test_code_reads_every_variable_the_stack_sets(self):
        named = set()
        for text in self.sources.values():
            named |= set(re.findall(r'"(IMAGEPIPE_[A-Z0-9_]+)"', text))
        managed = {key for key in self.config.local("function_managed_environment") if not key.startswith("__")}
        self.assertTrue(managed, "no managed environment parsed from function.tf")
        # Read by a dependency rather than by our own sources.
        read_by_dependencies = {"SSL_CERT_FILE"}  # rustls-native-certs: the AWS SDK's trust roots
        missing = managed - named - read_by_dependencies
        self.assertFalse(missing, f"the stack sets variables no Rust source names: {sorted(missing)}")

    def test_table_key_is_the_one_the_code_uses(self):
        key = self.config.local("records_table_hash_key")
        self.assertTrue(
            any(f'"{key}"' in text for path, text in self.sources.items() if "adapters" in path.parts),
            f'no "{key}" string in modules/adapters: the DynamoDB key may have changed',
        )

    def test_iam_grants_exactly_the_s3_and_dynamodb_calls_the_code_makes(self):
        needed = set()
        for text in self.sources.values():
            for call in re.findall(r"\.([a-z_0-9]+)\(\)", text):
                needed |= SDK_CALL_ACTIONS.get(call, set()) | ANSWER_ACTIONS.get(call, set())
        statements = blocks(self.config.data[("aws_iam_policy_document", "function")], "statement")
        actions = {action for statement in statements for action in attr(statement, "actions")}
        granted = {action for action in actions if action.split(":")[0] in {"s3", "dynamodb"}}
        self.assertEqual(granted, needed, "the function's S3/DynamoDB permissions and the SDK calls in modules/ differ")


# ---------------------------------------------------------------------------------------------
# The operator's view against what the extension and the function emit
# ---------------------------------------------------------------------------------------------
class OperatorViewAgrees(unittest.TestCase):
    """The dashboard and alarms name metrics; these must be the ones that exist."""

    @classmethod
    def setUpClass(cls):
        cls.config = Config(INFRA)
        cls.scratch = Path(tempfile.mkdtemp(prefix="imagepipe-infra-operator."))
        for name in ("variables.tf", "locals.tf"):
            shutil.copy2(INFRA / name, cls.scratch / name)
        cls.sources = {path: path.read_text() for path in sorted((REPO / "modules").rglob("*.rs"))}

    @classmethod
    def tearDownClass(cls):
        shutil.rmtree(cls.scratch, ignore_errors=True)

    def stack_view(self, **variables) -> dict:
        """What the dashboard names for the extension's metrics, from locals.tf (terraform console)."""
        expression = (
            "jsonencode({namespace = var.metrics_namespace, dimensions = local.metrics_dimensions, "
            "metrics = local.extension_metrics, function_name = local.function_name, architecture = var.architecture})"
        )
        result = subprocess.run(
            [tool("terraform"), f"-chdir={self.scratch}", "console", *[f"-var={k}={v}" for k, v in variables.items()]],
            input=expression, capture_output=True, text=True, env=terraform_env(),
        )
        if result.returncode != 0:
            raise AssertionError(f"terraform console failed:\n{result.stdout}\n{result.stderr}")
        return json.loads(json.loads(result.stdout.strip()))

    def emitted(self, **environment) -> dict:
        """The extension's EMF line for an invocation that reports every figure, rendered by its code."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("IMAGEPIPE_")}
        env.update(environment)
        result = subprocess.run(
            [tool("cargo"), "run", "--quiet", "--locked", "-p", self.config.local("extension_package"), "--example", "emf_line"],
            cwd=REPO, capture_output=True, text=True, env=env,
        )
        if result.returncode != 0:
            raise AssertionError(f"cargo run --example emf_line failed:\n{result.stderr}")
        return json.loads(result.stdout.strip().splitlines()[-1])

    def assert_dashboard_names_what_is_emitted(self, view: dict, line: dict):
        definition = line["_aws"]["CloudWatchMetrics"][0]
        emitted_names = {metric["Name"] for metric in definition["Metrics"]}
        self.assertEqual(view["namespace"], definition["Namespace"], "the dashboard's namespace is not the extension's")
        missing = set(view["metrics"].values()) - emitted_names
        self.assertFalse(missing, f"the dashboard names extension metrics it never emits: {sorted(missing)} (emitted: {sorted(emitted_names)})")
        self.assertEqual(sorted(view["dimensions"]), sorted(definition["Dimensions"][0]), "the dimension names differ")
        self.assertEqual(view["dimensions"], {name: line[name] for name in definition["Dimensions"][0]}, "the dimension values differ")

    def test_default_settings(self):
        # The variables' defaults against the extension's own defaults (no IMAGEPIPE_* set).
        view = self.stack_view()
        line = self.emitted(AWS_LAMBDA_FUNCTION_NAME=view["function_name"], IMAGEPIPE_ARCHITECTURE=view["architecture"])
        self.assertEqual(view["dimensions"], {"FunctionName": "imagepipe"})
        self.assert_dashboard_names_what_is_emitted(view, line)

    def test_custom_namespace_and_dimensions(self):
        settings = {"name": "thumbs", "metrics_namespace": "media", "metrics_dimensions": "FunctionName, Architecture, Stage=prod=blue",
                    "architecture": "x86_64"}
        view = self.stack_view(**settings)
        line = self.emitted(AWS_LAMBDA_FUNCTION_NAME="thumbs", IMAGEPIPE_METRICS_NAMESPACE="media",
                            IMAGEPIPE_METRICS_DIMENSIONS=settings["metrics_dimensions"], IMAGEPIPE_ARCHITECTURE="x86_64")
        self.assert_dashboard_names_what_is_emitted(view, line)

    def test_metric_filters_count_lines_the_function_logs(self):
        # The metric filters (metrics.tf) match the function's log messages, and split them by the
        # `status` field the "recorded" line carries (RecordStatus in its Debug form).
        c = self.config
        application = "\n".join(text for path, text in self.sources.items() if "application" in path.parts and "src" in path.parts)
        calls = re.findall(r"tracing::\w+!\((.*?)\);", application, re.DOTALL)
        recorded = [call for call in calls if re.search(r'"%s"\s*,?\s*$' % re.escape(c.local("recorded_log_message")), call.strip())]
        self.assertEqual(len(recorded), 1, f'one tracing call must log "{c.local("recorded_log_message")}"')
        self.assertRegex(recorded[0], r"\bstatus\s*=\s*\?", "the recorded line must carry the record's status (Debug form)")
        self.assertTrue(any(call.strip().endswith(f'"{c.local("already_recorded_log_message")}"') for call in calls),
                        f'no tracing call logs "{c.local("already_recorded_log_message")}"')
        core = "\n".join(text for path, text in self.sources.items() if "core" in path.parts)
        variants = re.search(r"pub enum RecordStatus \{(.*?)\}", core, re.DOTALL)
        self.assertIsNotNone(variants, "RecordStatus is gone from modules/core")
        names = set(re.findall(r"^\s*([A-Z]\w*)\s*,?\s*$", variants.group(1), re.MULTILINE))
        self.assertEqual(names, {c.local("record_status_complete"), c.local("record_status_failed")})
        for name in ("objects_recorded", "objects_unchanged", "objects_failed"):
            pattern = attr(c.resource("aws_cloudwatch_log_metric_filter", name), "pattern")
            self.assertRegex(pattern, r"^\{ \$\.fields\.message = ", f"{name}: lambda_runtime's JSON subscriber puts the message under fields")
        transformation = block(c.resource("aws_cloudwatch_log_metric_filter", "objects_recorded"), "metric_transformation")
        self.assertEqual(attr(transformation, "dimensions"), {"Status": "$.fields.status"})
        # Failures by kind: the same line carries the record's failed_kind as `failure_kind`.
        self.assertRegex(recorded[0], r"\bfailure_kind\s*=\s*record\.failed_kind\b", "the recorded line must carry the record's failed_kind")
        failed = block(c.resource("aws_cloudwatch_log_metric_filter", "objects_failed"), "metric_transformation")
        self.assertEqual(attr(failed, "dimensions"), {"Kind": "$.fields.failure_kind"})


if __name__ == "__main__":
    unittest.main()
