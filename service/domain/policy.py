"""Per-edit actions, globally and per payer, and strict mode (docs/edit-catalog.md, "Policy")."""

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from service.domain.vocabulary import BLOCKING, Action, Disposition


@dataclass(frozen=True, slots=True)
class PayerPolicy:
    strict: bool | None = None
    actions: Mapping[str, Action] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class EffectivePolicy:
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

    def __post_init__(self) -> None:
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

    def for_payer(self, payer_id: str) -> EffectivePolicy:
        payer = self.payers.get(payer_id)
        if payer is None:
            return EffectivePolicy(self.strict, self.actions)
        return EffectivePolicy(
            self.strict if payer.strict is None else payer.strict,
            {**self.actions, **payer.actions},
        )


DEFAULT_POLICY = Policy()
