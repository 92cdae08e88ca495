"""The claim-memory port: what the use cases need from a store of accepted claims.

A `MemoryBatch` is one transaction over the patients of a batch: `history` is read once for
all of them when the batch opens (one read), `remember` buffers, and closing the batch
without an error writes every remembered claim in one statement (one write) and commits.
While a batch is open no other batch may open on any of its patients (the adapter holds a
lock per patient), so two instances editing one patient's claims at once see each other in
order: exactly one of two identical claims is the duplicate.

An unreachable store raises `MemoryUnavailable`; the caller waits and tries again, and
edits nothing meanwhile (no claim is edited without the memory it was configured with).
"""

from collections.abc import Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass
from typing import Protocol

from service.domain.history import ClaimHistory, RememberedClaim


class MemoryUnavailable(Exception):  # noqa: N818 (the port names a state, not an error)
    """The store did not answer (connection refused, timeout, server gone). Its text names
    the failure's type only, never a patient."""


@dataclass(frozen=True, slots=True)
class PatientRef:
    """Who the claim is about, as the sender identifies them: hashed by the adapter (HMAC
    with a secret setting) before anything is stored or queried; never logged."""

    payer_id: str
    member_id: str


class MemoryBatch(Protocol):
    def history(self, patient: PatientRef, memory_key: str) -> ClaimHistory:
        """The patient's claims first accepted before the claim with `memory_key` (all of
        them when that key is new), including claims remembered earlier in this batch."""
        ...

    def remember(self, patient: PatientRef, claim: RememberedClaim) -> None:
        """Keep `claim` at the next sequence (a replay of a remembered key changes nothing).
        Voids and replacements are stored as claims like any other: the domain reads the
        history and takes out what they void or supersede."""
        ...


class ClaimMemory(Protocol):
    def batch(self, patients: Sequence[PatientRef]) -> AbstractContextManager[MemoryBatch]: ...

    def ready(self) -> bool:
        """The store answers (readiness)."""
        ...
