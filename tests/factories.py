"""Test data builders shared by the reporter tests."""

from __future__ import annotations

from typing import Any

from bot.model import Finding, Kind, Severity


def make_finding(**overrides: Any) -> Finding:
    """An OWASP eval finding; any field can be overridden by name."""
    values: dict[str, Any] = {
        "kind": Kind.OWASP,
        "rule_id": "js-eval-injection",
        "title": "A03:2021 – Injection",
        "message": "eval() runs a string built from request data.",
        "path": "src/app.js",
        "start_line": 12,
        "end_line": 12,
        "severity": Severity.HIGH,
        "cwe": ("CWE-95",),
        "owasp": "A03:2021",
        "snippet": "eval(req.query.code)",
        "properties": {},
    }
    values.update(overrides)
    return Finding(**values)
