"""
The document the API and fuzz tests check against: gateway/openapi.yaml (the served API) with
every registered provider's callbacks.yaml paths merged in.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

import gateway
from gateway.providers.registry import PROVIDERS

GATEWAY = Path(gateway.__file__).resolve().parent


def served_spec() -> dict[str, Any]:
    """gateway/openapi.yaml as served at /api/v1/openapi.yaml."""
    spec: dict[str, Any] = yaml.safe_load((GATEWAY / "openapi.yaml").read_text())
    return spec


def spec_with_callbacks() -> dict[str, Any]:
    """The served document plus every provider's callbacks."""
    spec = served_spec()
    for name in PROVIDERS:
        extra = GATEWAY / "providers" / name / "callbacks.yaml"
        if extra.exists():
            spec["paths"].update(yaml.safe_load(extra.read_text())["paths"])
    return spec
