"""Tiny programs for the real-engine tests (importable by the dynamic provider process)."""

import pulumi
from pulumi.dynamic import CreateResult, Resource, ResourceProvider


class StampProvider(ResourceProvider):
    def create(self, props):
        return CreateResult(id_="stamp-1", outs={"text": props["text"]})


class Stamp(Resource):
    text: pulumi.Output[str]

    def __init__(self, name: str, text: str) -> None:
        super().__init__(StampProvider(), name, {"text": text})


def stamp_program() -> None:
    pulumi.export("stamp", Stamp("stamp", "hello from the real engine").text)


def command_program() -> None:
    from pulumi_command import local

    cmd = local.Command("hello", create="echo hello")
    pulumi.export("stdout", cmd.stdout)
