"""JSON Schema (draft-07) of the deployment format, generated from the model's documented fields."""

from __future__ import annotations

import datetime as dt
import typing
from dataclasses import is_dataclass
from enum import Enum
from typing import Any

from residency_audit.format.plans import plan, unwrap_optional
from residency_audit.model import Deployment

SCHEMA_ID = "https://residency-audit.example.org/schemas/deployment-1.json"


def json_schema() -> dict[str, Any]:
    """The schema editors use through `# yaml-language-server: $schema=...`."""
    definitions: dict[str, Any] = {}
    root = _object(Deployment, definitions)
    root["properties"]["schema_version"] = {"const": 1, "description": "Format version; must be 1."}
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": SCHEMA_ID,
        "title": "residency-audit deployment",
        **root,
        "definitions": dict(sorted(definitions.items())),
    }


def _object(cls: type, definitions: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required = []
    for p in plan(cls):
        properties[p.name] = {**_type(p.kind, definitions), "description": p.doc}
        if p.non_empty is not None:
            properties[p.name]["minItems"] = 1
        if p.required:
            required.append(p.name)
    schema: dict[str, Any] = {
        "type": "object",
        "properties": properties,
        "additionalProperties": False,
    }
    if required:
        schema["required"] = required
    if cls.__doc__ and not cls.__doc__.startswith(cls.__name__ + "("):
        schema["description"] = cls.__doc__.strip()
    return schema


def _type(kind: Any, definitions: dict[str, Any]) -> dict[str, Any]:
    kind, optional = unwrap_optional(kind)
    if typing.get_origin(kind) is tuple:
        schema = {"type": "array", "items": _type(typing.get_args(kind)[0], definitions)}
    elif typing.get_origin(kind) is dict:
        schema = {
            "type": "object",
            "additionalProperties": _type(typing.get_args(kind)[1], definitions),
        }
    elif isinstance(kind, type) and is_dataclass(kind):
        name = kind.__name__
        if name not in definitions:
            definitions[name] = {}
            definitions[name] = _object(kind, definitions)
        schema = {"$ref": f"#/definitions/{name}"}
    elif isinstance(kind, type) and issubclass(kind, Enum):
        schema = {"type": "string", "enum": [m.value for m in kind]}
    elif kind is bool:
        schema = {"type": "boolean"}
    elif kind is int:
        schema = {"type": "integer"}
    elif kind is float:
        schema = {"type": "number"}
    elif kind is dt.date:
        schema = {"type": "string", "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"}
    else:
        schema = {"type": "string"}
    if optional and "$ref" not in schema:
        schema = {**schema, "type": [str(schema["type"]), "null"]} if "type" in schema else schema
    return schema
