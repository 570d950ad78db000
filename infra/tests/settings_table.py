#!/usr/bin/env python3
"""Turns infra/tests/settings_table.json into a `terraform test` file, so the stack's variable
validations are tested on the same cases as the function's validator
(modules/application/tests/settings_table.rs): every accepted value must plan and reach the
function's environment (and, for the output prefix, the IAM grant) as the function reads it;
every refused value must fail its variable's validation.

  infra/tests/settings_table.py DIR    writes DIR/settings_NNN.tftest.hcl (one per case), prints
                                       the number of cases

DIR must be under infra/ (`terraform test -test-directory` takes only such a path). The file is
generated at test time from the table and never committed (dev/ci/infra-check.sh runs it).
"""

import json
import sys
from pathlib import Path

TABLE = Path(__file__).resolve().parent / "settings_table.json"


def hcl_string(value):
    """A quoted HCL string literal whose value is exactly `value`."""
    out = []
    for index, char in enumerate(value):
        following = value[index + 1:index + 2]
        if char == "\\":
            out.append("\\\\")
        elif char == '"':
            out.append('\\"')
        elif char == "\n":
            out.append("\\n")
        elif char == "\r":
            out.append("\\r")
        elif char == "\t":
            out.append("\\t")
        elif char in "$%" and following == "{":
            out.append(char * 2)  # `$${` and `%%{` are the literal `${` and `%{`
        elif ord(char) < 0x20 or ord(char) > 0x7E:
            out.append(f"\\u{ord(char):04x}" if ord(char) <= 0xFFFF else f"\\U{ord(char):08x}")
        else:
            out.append(char)
    return '"' + "".join(out) + '"'


def accepted_run(name, index, setting, case):
    variable = setting["environment"]
    value = case["value"]
    expected = case.get("prefix", value)
    asserts = [(
        f'one(aws_lambda_function.this.environment).variables["{variable}"] == {hcl_string(expected)}',
        f"{name} = {value!r} must reach the function as {expected!r}.",
    )]
    if name == "output_prefix":
        asserts.append((
            f'one([for s in data.aws_iam_policy_document.function.statement : s.resources if s.sid == "WriteRenditions"]) == toset(["${{aws_s3_bucket.this["output"].arn}}/{hcl_string(expected)[1:-1]}*"])',
            f"the function must be allowed to write under {expected!r}.",
        ))
    blocks = "".join(
        f"\n  assert {{\n    condition     = {condition}\n    error_message = {hcl_string(message)}\n  }}\n"
        for condition, message in asserts
    )
    return (f'run "accepts_{name}_{index}" {{\n  command = plan\n\n  variables {{\n'
            f"    {name} = {hcl_string(value)}\n  }}\n{blocks}}}\n")


def refused_run(name, index, value):
    return (f'run "refuses_{name}_{index}" {{\n  command = plan\n\n  variables {{\n'
            f"    {name} = {hcl_string(value)}\n  }}\n\n  expect_failures = [var.{name}]\n}}\n")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    table = json.loads(TABLE.read_text())
    runs = []
    for name, setting in sorted(table["settings"].items()):
        runs += [accepted_run(name, i, setting, case) for i, case in enumerate(setting["accepted"])]
        runs += [refused_run(name, i, value) for i, value in enumerate(setting["refused"])]
    header = (f"# Generated from {TABLE.name} by {Path(__file__).name}; do not edit or commit.\n\n"
              'mock_provider "aws" {\n  source          = "./tests/mocks"\n  override_during = plan\n}\n')
    # One file per case: `terraform test` skips the rest of a file after a run fails, and every
    # disagreement should show at once.
    for index, run in enumerate(runs):
        (Path(sys.argv[1]) / f"settings_{index:03d}.tftest.hcl").write_text(header + "\n" + run)
    print(len(runs))


if __name__ == "__main__":
    main()
