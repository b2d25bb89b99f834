"""The generator's intermediate form: model and field descriptions that the templates render."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class FieldDef:
    """One model field: Python name, wire name, annotation source text, and how absence is handled."""

    name: str
    alias: str
    annotation: str
    required: bool
    omit_none: bool = False  # optional and not nullable on the wire: ``None`` means absent

    @property
    def needs_alias(self) -> bool:
        return self.name != self.alias


@dataclass
class ModelDef:
    """One pydantic model class."""

    name: str
    base: str
    fields: list[FieldDef] = field(default_factory=list)
    doc: str = ""

    @property
    def omit_none(self) -> list[str]:
        return sorted(f.name for f in self.fields if f.omit_none)
