"""docs/asyncapi.yaml as a validator: which frames each socket carries in each direction, and their shapes.

The test clients check every frame they receive against it, so the document cannot drift from the code.
"""
from __future__ import annotations

import functools
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

DOCUMENT_PATH = Path(__file__).resolve().parents[2] / "docs" / "asyncapi.yaml"
DOCUMENT_URI = "urn:erp-comm:asyncapi"
# AsyncAPI operations are written from the server's side.
SERVER_TO_CLIENT = "send"
CLIENT_TO_SERVER = "receive"
# A chat frame without `type` is a message (docs/websocket-api.md).
DEFAULT_CLIENT_FRAME_TYPE = {"/ws/chat/": "message"}


class Contract:
    def __init__(self, document: dict) -> None:
        self.document = document
        registry = Registry().with_resource(DOCUMENT_URI, DRAFT7.create_resource(document))
        # (channel address, action) -> frame type -> validator of that frame's payload
        self.validators: dict[tuple[str, str], dict[str, Draft7Validator]] = {}
        for operation in document["operations"].values():
            address = self.resolve(operation["channel"]["$ref"])["address"]
            frames = self.validators.setdefault((address, operation["action"]), {})
            for reference in operation["messages"]:
                pointer = self.final_pointer(reference["$ref"])
                frame_type = self.resolve(pointer)["name"]
                frames[frame_type] = Draft7Validator({"$ref": f"{DOCUMENT_URI}{pointer}/payload"}, registry=registry)

    def resolve(self, pointer: str) -> Any:
        node: Any = self.document
        for part in pointer.removeprefix("#/").split("/"):
            node = node[part.replace("~1", "/").replace("~0", "~")]
        return node

    def final_pointer(self, pointer: str) -> str:
        """Follows a chain of `$ref`s (operation -> channel message -> component message)."""
        while "$ref" in self.resolve(pointer):
            pointer = self.resolve(pointer)["$ref"]
        return pointer

    def addresses(self) -> set[str]:
        return {address for address, _ in self.validators}

    def violations(self, address: str, action: str, frame: Any) -> list[str]:
        """What is wrong with the frame according to the document; empty when it conforms."""
        frames = self.validators.get((address, action))
        if frames is None:
            return []
        if not isinstance(frame, dict):
            return [f"{address}: a frame must be a JSON object, got {frame!r}"]
        frame_type = frame.get("type", DEFAULT_CLIENT_FRAME_TYPE.get(address) if action == CLIENT_TO_SERVER else None)
        validator = frames.get(frame_type)
        if validator is None:
            return [f"{address}: frame type {frame_type!r} is not documented: {frame}"]
        return [
            f"{address}: {frame_type} frame {frame}: {error.message} at {'/'.join(map(str, error.absolute_path)) or 'top level'}"
            for error in validator.iter_errors(frame)
        ]


@functools.cache
def contract() -> Contract:
    return Contract(yaml.safe_load(DOCUMENT_PATH.read_text()))


def server_frame_violations(path: str, frame: Any) -> list[str]:
    return contract().violations(path.split("?", 1)[0], SERVER_TO_CLIENT, frame)


def client_frame_violations(path: str, frame: Any) -> list[str]:
    return contract().violations(path.split("?", 1)[0], CLIENT_TO_SERVER, frame)
