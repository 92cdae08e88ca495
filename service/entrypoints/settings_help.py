"""The settings a command reads, for its `--help`: generated from the pydantic-settings models
(service/config.py), so the help cannot drift from what the command really reads.

Each setting: its environment variable, its default (or "unset"), its allowed values or
bounds, and its meaning (the field's `description`, which every setting must have). Use with
argparse's RawDescriptionHelpFormatter, which keeps these lines as they are.
"""

import shutil
import textwrap
import types
import typing
from enum import Enum
from typing import Any, Literal

import annotated_types
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

INDENT = "      "


def env_name(model: type[BaseSettings], field: str) -> str:
    return f"{model.model_config.get('env_prefix') or ''}{field.upper()}"


def _default(info: FieldInfo) -> str:
    value = info.get_default(call_default_factory=True)
    if value is None:
        return "unset"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, Enum):
        return str(value.value)
    return str(value)


def _choices(annotation: Any) -> list[str]:
    """The values a Literal (or an optional Literal) allows."""
    if typing.get_origin(annotation) is Literal:
        return [str(choice) for choice in typing.get_args(annotation)]
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        return [c for arg in typing.get_args(annotation) for c in _choices(arg)]
    return []


BOUNDS = (
    (annotated_types.Ge, "ge", "at least"),
    (annotated_types.Gt, "gt", "more than"),
    (annotated_types.Le, "le", "at most"),
    (annotated_types.Lt, "lt", "less than"),
    (annotated_types.MinLen, "min_length", "length at least"),
)


def _bounds(info: FieldInfo) -> list[str]:
    said = []
    for constraint in info.metadata:
        for kind, attribute, words in BOUNDS:
            if isinstance(constraint, kind):
                said.append(f"{words} {getattr(constraint, attribute)}")
    return said


def _summary(model: type[BaseSettings]) -> str:
    return (model.__doc__ or model.__name__).strip().splitlines()[0]


def settings_epilog(*models: type[BaseSettings], width: int | None = None) -> str:
    """Every setting of the models, grouped by model, wrapped to `width` (default: the
    terminal's, as argparse wraps the rest of the help). A field without a description is
    a programming error: every setting must say what it means."""
    width = max(40, width or shutil.get_terminal_size().columns - 2)
    out = textwrap.wrap(
        "settings (environment variables, or a .env file in the working directory; "
        "a wrong value stops start-up naming its variable):",
        width,
    )
    for model in models:
        out += ["", *textwrap.wrap(_summary(model), width)]
        for name, info in model.model_fields.items():
            if not info.description:
                raise ValueError(f"{model.__name__}.{name} has no description")
            facts = [f"default: {_default(info)}"]
            choices = _choices(info.annotation)
            if choices:
                facts.append("one of " + ", ".join(choices))
            facts += _bounds(info)
            out += textwrap.wrap(
                f"{env_name(model, name)}  ({'; '.join(facts)})",
                width,
                initial_indent="  ",
                subsequent_indent=INDENT,
                break_on_hyphens=False,
            )
            out += textwrap.wrap(
                info.description,
                width,
                initial_indent=INDENT,
                subsequent_indent=INDENT,
                break_on_hyphens=False,
            )
    return "\n".join(out)
