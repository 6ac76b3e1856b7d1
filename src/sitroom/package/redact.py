"""Strip controller-only material from a package, by the ``audience: control`` field mark.

Player-facing documents and views are built from ``player_safe(package)``: a package with
every control-marked field emptied and contingency injects removed. Because the marks live
on the model fields, a new secret field is hidden as soon as it is marked — no renderer has
to know about it.
"""

from __future__ import annotations

from typing import Any, TypeVar

from pydantic import BaseModel

from sitroom.package.model import InjectType, Package

M = TypeVar("M", bound=BaseModel)


def is_control_field(model: type[BaseModel], name: str) -> bool:
    """True if field ``name`` of ``model`` is marked for control staff only."""
    extra = model.model_fields[name].json_schema_extra
    return isinstance(extra, dict) and extra.get("audience") == "control"


def control_fields(model: type[BaseModel]) -> list[str]:
    """Names of the control-only fields of ``model``."""
    return [name for name in model.model_fields if is_control_field(model, name)]


def strip_control(value: M) -> M:
    """A copy of ``value`` with every control-only field, at any depth, set to its default."""
    return _strip(value)  # type: ignore[no-any-return]


def _strip(value: Any) -> Any:
    if isinstance(value, BaseModel):
        cls = type(value)
        changes: dict[str, Any] = {}
        for name, info in cls.model_fields.items():
            current = getattr(value, name)
            if is_control_field(cls, name):
                changes[name] = info.get_default(call_default_factory=True)
            else:
                stripped = _strip(current)
                if stripped is not current:
                    changes[name] = stripped
        return value.model_copy(update=changes) if changes else value
    if isinstance(value, tuple):
        items = tuple(_strip(v) for v in value)
        return items if any(a is not b for a, b in zip(items, value, strict=True)) else value
    return value


def player_safe(package: Package) -> Package:
    """The package as players may know it before play: no control fields, no contingency injects.

    Injects stay in (a Situation Manual does not list them, but the run engine releases them
    one by one through the visibility gate); contingency injects exist only for control.
    """
    stripped = strip_control(package)
    modules = tuple(
        m.model_copy(
            update={"injects": tuple(i for i in m.injects if i.type != InjectType.CONTINGENCY)}
        )
        for m in stripped.modules
    )
    return stripped.model_copy(update={"modules": modules})
