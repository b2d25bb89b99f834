"""Facts about the wire shared by both HTTP transports: headers, versions, argument validators by path."""

from __future__ import annotations

import importlib
import importlib.metadata
from collections.abc import Mapping
from functools import lru_cache
from typing import Any

from pydantic import SecretStr

PACKAGE = "cortex-python"
CLIENT_HEADER = "Convex-Client"
UDF_FAILED_STATUS = 560
"""Convex's status for "the function ran and threw" (the body is a normal ``{"status": "error"}`` answer)."""


@lru_cache(maxsize=1)
def client_version() -> str:
    """This package's version from its installed metadata."""
    try:
        return importlib.metadata.version(PACKAGE)
    except importlib.metadata.PackageNotFoundError:
        return "0.0.0"


def client_header() -> str:
    """Value of the ``Convex-Client`` header: ``cortex-python-<version>``."""
    return f"cortex-python-{client_version()}"


@lru_cache(maxsize=1)
def schema_version() -> str:
    """The Cortex version the generated code was made from (``cortex._generated``'s tag), else the package's."""
    try:
        generated = importlib.import_module("cortex._generated")
    except ImportError:
        return client_version()
    for name in ("SCHEMA_TAG", "SCHEMA_VERSION", "SOURCE_TAG"):
        value = getattr(generated, name, None)
        if isinstance(value, str) and value:
            return value
    return client_version()


def request_headers(admin_key: SecretStr | None, auth_token: SecretStr | None) -> dict[str, str]:
    """Headers sent with every call (including ``Authorization`` when credentials are configured)."""
    headers = {"Content-Type": "application/json", CLIENT_HEADER: client_header()}
    if admin_key is not None:
        headers["Authorization"] = f"Convex {admin_key.get_secret_value()}"
    elif auth_token is not None:
        headers["Authorization"] = f"Bearer {auth_token.get_secret_value()}"
    return headers


_VALIDATORS: dict[str, Mapping[str, Any] | None] = {}


def args_validator(path: str) -> Mapping[str, Any] | None:
    """The Convex argument validator of a function from the generated registry, ``None`` if unknown."""
    try:
        return _VALIDATORS[path]
    except KeyError:
        pass
    validator: Mapping[str, Any] | None = None
    try:
        registry = importlib.import_module("cortex._generated.functions")
    except ImportError:
        registry = None
    functions = getattr(registry, "FUNCTIONS", None)
    spec = functions.get(path) if isinstance(functions, Mapping) else None
    if spec is not None:
        validator = getattr(spec, "args_validator", None)
    _VALIDATORS[path] = validator
    return validator
