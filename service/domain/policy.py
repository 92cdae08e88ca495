"""Per-edit actions, globally and per payer, and strict mode (docs/edit-catalog.md, "Policy")."""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from service.domain.registry import catalog
from service.domain.vocabulary import BLOCKING, Action, Disposition


class RefusedPolicyError(ValueError):
    """A policy that names an unknown edit, or changes one the catalog says it may not."""

    def __init__(self, edit_id: str, reason: str) -> None:
        super().__init__(f"{edit_id}: {reason}")
        self.edit_id = edit_id
        self.reason = reason


def _checked(actions: Mapping[str, Action]) -> Mapping[str, Action]:
    """A read-only copy, once every edit it names exists and is waivable: no policy, read
    from a file or built in code, turns off, lowers or raises an edit registered
    `waivable=False`."""
    if not actions:
        return MappingProxyType({})
    edits = {spec.edit_id: spec for spec in catalog()}
    for edit_id in actions:
        spec = edits.get(edit_id)
        if spec is None:
            raise RefusedPolicyError(edit_id, "unknown edit id")
        if not spec.waivable:
            raise RefusedPolicyError(edit_id, "this edit cannot be changed by policy")
    return MappingProxyType(dict(actions))


@dataclass(frozen=True, slots=True)
class PayerPolicy:
    strict: bool | None = None
    actions: Mapping[str, Action] = field(default_factory=dict)

    def __post_init__(self) -> None:
        object.__setattr__(self, "actions", _checked(self.actions))


@dataclass(frozen=True, slots=True)
class EffectivePolicy:
    """One payer's policy, as `Policy.for_payer` merges it from checked parts."""

    strict: bool
    actions: Mapping[str, Action]

    def disposition(
        self, edit_id: str, natural: Disposition, correctable: bool
    ) -> Disposition | None:
        """The disposition a firing ends with, or None when the edit is off.

        `reject` blocks (claim rejections stay claim rejections); `warn` lowers blocking and
        correcting firings to warnings; `correct` applies a firing's correction when it has
        one; strict mode turns every correction into a line rejection carrying the change.
        """
        if not self.actions and not self.strict:
            return natural
        action = self.actions.get(edit_id)
        resolved: Disposition = natural
        if action == "off":
            return None
        if action == "reject":
            resolved = "claim_rejection" if natural == "claim_rejection" else "line_rejection"
        elif action == "warn" and (natural in BLOCKING or natural == "correction"):
            resolved = "warning"
        elif action == "correct" and correctable and natural != "claim_rejection":
            resolved = "correction"
        if self.strict and resolved == "correction":
            resolved = "line_rejection"
        return resolved


@dataclass(frozen=True, slots=True)
class Policy:
    strict: bool = False
    actions: Mapping[str, Action] = field(default_factory=dict)
    payers: Mapping[str, PayerPolicy] = field(default_factory=dict)
    digest: bytes = field(init=False, compare=False, repr=False)
    """sha256 of what the policy says (part of every output's id: a changed policy may
    change an outcome, so it changes the id)."""
    _effective: Mapping[str, EffectivePolicy] = field(init=False, compare=False, repr=False)
    _default: EffectivePolicy = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        # Each PayerPolicy checked its own actions when it was built.
        object.__setattr__(self, "actions", _checked(self.actions))
        object.__setattr__(self, "payers", MappingProxyType(dict(self.payers)))
        stated = repr(
            (
                self.strict,
                sorted(self.actions.items()),
                sorted(
                    (payer, p.strict, sorted(p.actions.items())) for payer, p in self.payers.items()
                ),
            )
        )
        object.__setattr__(self, "digest", hashlib.sha256(stated.encode()).digest())
        # Every payer's merged policy, built once (for_payer runs for every claim).
        effective = {
            payer_id: EffectivePolicy(
                self.strict if payer.strict is None else payer.strict,
                MappingProxyType({**self.actions, **payer.actions}),
            )
            for payer_id, payer in self.payers.items()
        }
        object.__setattr__(self, "_effective", MappingProxyType(effective))
        object.__setattr__(self, "_default", EffectivePolicy(self.strict, self.actions))

    def for_payer(self, payer_id: str) -> EffectivePolicy:
        return self._effective.get(payer_id, self._default)


DEFAULT_POLICY = Policy()
