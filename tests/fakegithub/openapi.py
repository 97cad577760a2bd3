"""Request-body validation against GitHub's published OpenAPI description.

Why: a hand-written fake only enforces what its author remembered.  Validating every JSON
body against GitHub's own description (octokit/openapi, OpenAPI 3.0.3) catches wrong field
names, wrong enum values and wrong types the way GitHub's own schema validation does.

The 13 MB document is loaded and prepared once per process (``functools.lru_cache``):
OpenAPI 3.0's ``nullable: true`` is rewritten to JSON-Schema null types and ``$ref``s are
resolved against the whole document with ``referencing``.
"""

from __future__ import annotations

import functools
import json
import re
import threading
from dataclasses import dataclass
from typing import Any

import jsonschema
import referencing
import referencing.jsonschema

from tests import peers

#: Base URI under which the whole document is registered, so ``#/components/...`` resolves.
DOCUMENT_URI = "urn:github-openapi:api.github.com"
_HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
# Keys whose values are free-form data, never schemas: not walked by the nullable rewrite.
_DATA_KEYS = frozenset({"example", "examples", "default", "enum", "const", "x-github"})


def _translate_nullable(node: Any) -> Any:
    """Rewrite OpenAPI 3.0 ``nullable: true`` into JSON Schema, recursively, returning a copy."""
    if isinstance(node, list):
        return [_translate_nullable(item) for item in node]
    if not isinstance(node, dict):
        return node
    out = {
        key: (value if key in _DATA_KEYS else _translate_nullable(value))
        for key, value in node.items()
        if key != "nullable"
    }
    if node.get("nullable") is not True:
        return out
    simple = "type" in out and not any(k in out for k in ("$ref", "allOf", "anyOf", "oneOf", "not"))
    if simple:
        types = out["type"] if isinstance(out["type"], list) else [out["type"]]
        out["type"] = [*types, "null"] if "null" not in types else types
        if "enum" in out and None not in out["enum"]:
            out["enum"] = [*out["enum"], None]
        return out
    return {"anyOf": [out, {"type": "null"}]}


def _escape(token: str) -> str:
    """JSON-pointer escaping of one reference token (RFC 6901)."""
    return token.replace("~", "~0").replace("/", "~1")


_MULTI_SEGMENT = frozenset({"{path}", "{basehead}"})


def _template_regex(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{[^}]+\})", template)
    pattern = "".join(
        # ``{path}`` (file paths) and ``{basehead}`` (``a/b...c/d``) may span slashes (GitHub marks
        # them ``x-multi-segment``); every other parameter is one segment.
        ("(.+)" if part in _MULTI_SEGMENT else "([^/]+)") if part.startswith("{") else re.escape(part)
        for part in parts
    )
    return re.compile(pattern + r"\Z")


@dataclass(frozen=True)
class Operation:
    """One OpenAPI operation: the path template, its method and the JSON body schema if any."""

    method: str
    template: str
    operation_id: str
    body_schema_pointer: str | None
    body_required: bool


class OpenAPIDescription:
    """GitHub's API description prepared for fast operation lookup and body validation."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.version: str = document.get("info", {}).get("version", "?")
        resource = referencing.Resource.from_contents(document, default_specification=referencing.jsonschema.DRAFT4)
        self._registry: referencing.Registry = referencing.Registry().with_resource(DOCUMENT_URI, resource)
        self._routes: list[tuple[int, re.Pattern[str], dict[str, Operation]]] = []
        for template, item in document["paths"].items():
            operations: dict[str, Operation] = {}
            for method in _HTTP_METHODS:
                op = item.get(method)
                if not isinstance(op, dict):
                    continue
                body = op.get("requestBody") or {}
                pointer = None
                if "application/json" in body.get("content", {}):
                    pointer = f"/paths/{_escape(template)}/{method}/requestBody/content/application~1json/schema"
                operations[method.upper()] = Operation(
                    method.upper(), template, op.get("operationId", ""), pointer, bool(body.get("required"))
                )
            literal_chars = len(re.sub(r"\{[^}]+\}", "", template))
            self._routes.append((literal_chars, _template_regex(template), operations))
        # Prefer the most literal template: /repos/{o}/{r}/check-runs/{id} over .../{path}.
        self._routes.sort(key=lambda route: -route[0])
        self._validators: dict[str, jsonschema.protocols.Validator] = {}
        self._lock = threading.Lock()

    def find_operation(self, method: str, path: str) -> Operation | None:
        """The operation GitHub would route ``METHOD path`` to, or None if the API has none."""
        for _, regex, operations in self._routes:
            if regex.match(path) and method.upper() in operations:
                return operations[method.upper()]
        return None

    def _validator(self, pointer: str) -> jsonschema.protocols.Validator:
        with self._lock:
            validator = self._validators.get(pointer)
            if validator is None:
                schema = {"$ref": f"{DOCUMENT_URI}#{pointer}"}
                validator = jsonschema.Draft4Validator(schema, registry=self._registry)
                self._validators[pointer] = validator
            return validator

    def validate_body(self, method: str, path: str, body: Any) -> list[str]:
        """Validate a parsed JSON body; returns GitHub-style messages (empty list when valid)."""
        operation = self.find_operation(method, path)
        if operation is None or operation.body_schema_pointer is None:
            return []
        validator = self._validator(operation.body_schema_pointer)
        errors = sorted(validator.iter_errors(body), key=jsonschema.exceptions.relevance)
        if not errors:
            return []
        best = jsonschema.exceptions.best_match(errors)
        assert best is not None
        return [describe_error(best)] + [describe_error(e) for e in errors if e is not best]

    def response_schema_pointer(self, operation: Operation, status: int) -> str | None:
        """Pointer to the JSON schema of ``operation``'s ``status`` response, if documented."""
        item = self.document["paths"][operation.template][operation.method.lower()]
        response = item.get("responses", {}).get(str(status))
        pointer = f"/paths/{_escape(operation.template)}/{operation.method.lower()}/responses/{status}"
        if response is None:
            return None
        if "$ref" in response:
            pointer = response["$ref"].lstrip("#")
            response = self.document
            for part in pointer.strip("/").split("/"):
                response = response[part.replace("~1", "/").replace("~0", "~")]
        if "application/json" not in response.get("content", {}):
            return None
        return pointer + "/content/application~1json/schema"

    def validate_response(self, method: str, path: str, status: int, body: Any) -> list[str]:
        """Check a response the fake produced against GitHub's documented response schema."""
        operation = self.find_operation(method, path)
        if operation is None:
            return []
        pointer = self.response_schema_pointer(operation, status)
        if pointer is None:
            return []
        errors = sorted(self._validator(pointer).iter_errors(body), key=jsonschema.exceptions.relevance)
        return [describe_error(error) for error in errors[:5]]

    def validate_webhook(self, event: str, action: str | None, payload: Any) -> list[str]:
        """Check a webhook payload against GitHub's documented schema for ``event.action``."""
        key = event.replace("_", "-") + (f"-{action.replace('_', '-')}" if action else "")
        if key not in self.document.get("x-webhooks", {}):
            return [f"no webhook schema named {key!r}"]
        pointer = f"/x-webhooks/{_escape(key)}/post/requestBody/content/application~1json/schema"
        errors = sorted(self._validator(pointer).iter_errors(payload), key=jsonschema.exceptions.relevance)
        return [describe_error(error) for error in errors[:5]]


def describe_error(error: jsonschema.ValidationError) -> str:
    """Phrase a schema error like GitHub does: ``For 'properties/x', ... .``"""
    where = "/".join(str(part) for part in error.absolute_path)
    if error.validator == "required":
        return f"{error.message.split(' is a required')[0]} wasn't supplied." + (f" (at '{where}')" if where else "")
    if where:
        return f"For '{where}', {error.message}."
    return f"{error.message}."


@functools.lru_cache(maxsize=1)
def description() -> OpenAPIDescription:
    """The process-wide prepared description (fetched once per machine, prepared once per process)."""
    with open(peers.openapi_description_path(), encoding="utf-8") as handle:
        raw = json.load(handle)
    prepared = dict(raw)
    # Only ``paths``, ``components`` and ``x-webhooks`` hold schemas.
    prepared["paths"] = _translate_nullable(raw["paths"])
    prepared["components"] = _translate_nullable(raw["components"])
    prepared["x-webhooks"] = _translate_nullable(raw.get("x-webhooks", {}))
    return OpenAPIDescription(prepared)
