"""A schema-only stand-in for terraform-provider-aws, for `terraform validate` and for
`terraform test` with `mock_provider "aws"` where the real provider cannot be downloaded.

It serves the schema written by schema_from_cdktn.py over Terraform's plugin protocol (version 6,
through the `tf` package's plugin server) and accepts every configuration: Terraform itself checks
names, types and required arguments against the schema, and a mock provider answers everything
else. Any call that would reach AWS (plan, apply, read) fails with a diagnostic saying so.

Usage (Terraform starts it): provider.py SCHEMA.json
"""

from __future__ import annotations

import json
import sys

import tf.provider
import tf.runner
from tf.gen import tfplugin_pb2 as pb
from tf.gen import tfplugin_pb2_grpc as rpc

NESTING = {
    "single": pb.Schema.NestedBlock.SINGLE,
    "list": pb.Schema.NestedBlock.LIST,
    "set": pb.Schema.NestedBlock.SET,
    "map": pb.Schema.NestedBlock.MAP,
}


def block_to_pb(block: dict) -> pb.Schema.Block:
    attributes = [
        pb.Schema.Attribute(
            name=name,
            type=json.dumps(attribute["type"]).encode(),
            required=attribute.get("required", False),
            optional=attribute.get("optional", False),
            computed=attribute.get("computed", False),
        )
        for name, attribute in sorted(block.get("attributes", {}).items())
    ]
    block_types = [
        pb.Schema.NestedBlock(
            type_name=name,
            block=block_to_pb(nested["block"]),
            nesting=NESTING[nested["nesting_mode"]],
            min_items=nested.get("min_items", 0),
            max_items=nested.get("max_items", 0),
        )
        for name, nested in sorted(block.get("block_types", {}).items())
    ]
    return pb.Schema.Block(attributes=attributes, block_types=block_types)


def schema_to_pb(entry: dict) -> pb.Schema:
    return pb.Schema(version=entry.get("version", 0), block=block_to_pb(entry["block"]))


def not_served(what: str) -> list[pb.Diagnostic]:
    return [
        pb.Diagnostic(
            severity=pb.Diagnostic.ERROR,
            summary=f"{what}: the AWS stand-in provider only serves the schema",
            detail="It exists for `terraform validate` and for `terraform test` with mock_provider \"aws\"; "
            "use the real hashicorp/aws provider for anything that reaches AWS.",
        )
    ]


class SchemaOnlyProvider(rpc.ProviderServicer):
    def __init__(self, schema: dict):
        self.response = pb.GetProviderSchema.Response(
            provider=schema_to_pb(schema["provider"]),
            provider_meta=pb.Schema(block=pb.Schema.Block()),
            resource_schemas={name: schema_to_pb(entry) for name, entry in schema["resource_schemas"].items()},
            data_source_schemas={name: schema_to_pb(entry) for name, entry in schema["data_source_schemas"].items()},
            server_capabilities=pb.ServerCapabilities(plan_destroy=True),
        )

    def GetMetadata(self, request, context):
        return pb.GetMetadata.Response(
            server_capabilities=pb.ServerCapabilities(plan_destroy=True),
            resources=[pb.GetMetadata.ResourceMetadata(type_name=name) for name in self.response.resource_schemas],
            data_sources=[pb.GetMetadata.DataSourceMetadata(type_name=name) for name in self.response.data_source_schemas],
        )

    def GetProviderSchema(self, request, context):
        return self.response

    def ValidateProviderConfig(self, request, context):
        return pb.ValidateProviderConfig.Response()

    def ValidateResourceConfig(self, request, context):
        return pb.ValidateResourceConfig.Response()

    def ValidateDataResourceConfig(self, request, context):
        return pb.ValidateDataResourceConfig.Response()

    def ConfigureProvider(self, request, context):
        return pb.ConfigureProvider.Response()

    def StopProvider(self, request, context):
        return pb.StopProvider.Response()

    def UpgradeResourceState(self, request, context):
        return pb.UpgradeResourceState.Response(diagnostics=not_served("UpgradeResourceState"))

    def ReadResource(self, request, context):
        return pb.ReadResource.Response(diagnostics=not_served(f"reading {request.type_name}"))

    def PlanResourceChange(self, request, context):
        return pb.PlanResourceChange.Response(diagnostics=not_served(f"planning {request.type_name}"))

    def ApplyResourceChange(self, request, context):
        return pb.ApplyResourceChange.Response(diagnostics=not_served(f"applying {request.type_name}"))

    def ImportResourceState(self, request, context):
        return pb.ImportResourceState.Response(diagnostics=not_served(f"importing {request.type_name}"))

    def ReadDataSource(self, request, context):
        return pb.ReadDataSource.Response(diagnostics=not_served(f"reading data source {request.type_name}"))


class Named:
    """What tf.runner asks of a provider besides the servicer: its name."""

    @staticmethod
    def full_name() -> str:
        return "registry.terraform.io/hashicorp/aws"


def main(argv: list[str]) -> None:
    if len(argv) != 2:
        sys.exit(f"usage: {argv[0]} SCHEMA.json")
    with open(argv[1]) as handle:
        servicer = SchemaOnlyProvider(json.load(handle))
    # tf.runner serves tf.provider.ProviderServicer(provider); this stand-in is that servicer.
    tf.provider.ProviderServicer = lambda _provider: servicer
    tf.runner.run_provider(Named(), argv[:1])


if __name__ == "__main__":
    main(sys.argv)
