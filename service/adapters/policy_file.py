"""Read a policy TOML file.

strict = false                      # every correction becomes a line rejection
[actions]
"PCI-DOC-002" = "reject"            # correct | reject | warn | off
[payers."MEDICARE-JL"]
strict = true
[payers."MEDICARE-JL".actions]
"PCI-BUND-001" = "warn"
"""

import tomllib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, get_args

from service.domain.policy import PayerPolicy, Policy, RefusedPolicyError
from service.domain.vocabulary import Action

ACTIONS: tuple[str, ...] = get_args(Action)


class PolicyError(ValueError):
    """A policy file that cannot be used; the message names the file and key."""


def _actions(path: Path, where: str, table: Any) -> dict[str, Action]:
    if not isinstance(table, dict):
        raise PolicyError(f"{path}: {where} must be a table of edit id = action")
    actions: dict[str, Action] = {}
    for edit_id, action in table.items():
        if action not in ACTIONS:
            raise PolicyError(f"{path}: {where}.{edit_id}: {action!r} is not one of {ACTIONS}")
        actions[edit_id] = action
    return actions


def _strict(path: Path, where: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise PolicyError(f"{path}: {where}: must be true or false")
    return value


def parse_policy(text: str, path: Path = Path("<policy>")) -> Policy:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise PolicyError(f"{path}: {error}") from error
    unknown = set(document) - {"strict", "actions", "payers"}
    if unknown:
        raise PolicyError(f"{path}: unknown key(s) {sorted(unknown)}")
    payers: dict[str, PayerPolicy] = {}
    for payer_id, entry in document.get("payers", {}).items():
        where = f"payers.{payer_id}"
        if not isinstance(entry, dict) or set(entry) - {"strict", "actions"}:
            raise PolicyError(f"{path}: {where}: only 'strict' and 'actions' are allowed")
        with _naming_the_key(path, f"{where}.actions"):
            payers[payer_id] = PayerPolicy(
                strict=_strict(path, f"{where}.strict", entry["strict"])
                if "strict" in entry
                else None,
                actions=_actions(path, f"{where}.actions", entry.get("actions", {})),
            )
    with _naming_the_key(path, "actions"):
        return Policy(
            strict=_strict(path, "strict", document.get("strict", False)),
            actions=_actions(path, "actions", document.get("actions", {})),
            payers=payers,
        )


@contextmanager
def _naming_the_key(path: Path, where: str) -> Iterator[None]:
    """The domain decides which edits a policy may change (RefusedPolicyError); the file's error
    names the key."""
    try:
        yield
    except RefusedPolicyError as refused:
        raise PolicyError(f"{path}: {where}.{refused.edit_id}: {refused.reason}") from refused


def load_policy(path: Path | None) -> Policy:
    if path is None:
        return Policy()
    try:
        text = path.read_text()
    except OSError as error:
        raise PolicyError(f"{path}: {error.strerror}") from error
    return parse_policy(text, path)
