"""The SDK's public types, one pydantic model (or type alias) per TypeScript type: ``from cortex.types import
RememberParams``. Generated into ``cortex._generated.models`` from ``schema/types.schema.json``."""

from cortex._generated.models import *  # noqa: F403
from cortex._generated.models import __all__ as __all__
