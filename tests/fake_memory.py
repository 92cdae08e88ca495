"""The one in-memory claim memory (the port: service/app/memory.py), for tests of the use
cases. tests/memory/test_contract.py runs the same specifications against it and against
PostgresMemory, so the two cannot drift: sequence in order of first acceptance, a replay
sees what it saw the first time, claims remembered earlier in a batch are visible to the
claims after them, and a batch left with an error writes nothing.

`available = False` makes it behave like a server that is gone (MemoryUnavailableError, not
ready). One batch at a time (a stronger lock than the adapter's lock per patient).
"""

import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta

from service.app.memory import MemoryUnavailableError, PatientRef
from service.domain.history import ClaimHistory, RememberedClaim


class FakeBatch:
    def __init__(
        self, patients: Sequence[PatientRef], stored: Sequence[tuple[PatientRef, RememberedClaim]]
    ) -> None:
        self._patients = frozenset(patients)
        self._stored = [(p, c) for p, c in stored if p in self._patients]
        self._sequence = {(p, claim.memory_key): claim.sequence for p, claim in stored}
        self.pending: list[tuple[PatientRef, RememberedClaim]] = []

    def history(self, patient: PatientRef, memory_key: str) -> ClaimHistory:
        if patient not in self._patients:
            raise ValueError("a patient not named when the batch opened")
        mine = [claim for owner, claim in self._stored if owner == patient]
        if (patient, memory_key) in self._sequence:
            first = self._sequence[patient, memory_key]
            return ClaimHistory(tuple(c for c in mine if c.sequence < first))
        keys = [(owner, claim.memory_key) for owner, claim in self.pending]
        at = (patient, memory_key)
        before = self.pending[: keys.index(at)] if at in keys else self.pending
        return ClaimHistory((*mine, *(claim for owner, claim in before if owner == patient)))

    def remember(self, patient: PatientRef, claim: RememberedClaim) -> None:
        if patient not in self._patients:
            raise ValueError("a patient not named when the batch opened")
        if not claim.lines:
            raise ValueError("a remembered claim has at least one line")
        known = self._sequence.keys() | {(p, c.memory_key) for p, c in self.pending}
        if (patient, claim.memory_key) not in known:
            self.pending.append((patient, claim))


class FakeMemory:
    def __init__(self, retention_days: int = 400, today: date | None = None) -> None:
        self.claims: list[tuple[PatientRef, RememberedClaim]] = []
        self.available = True
        self._next_sequence = 1
        self._lock = threading.Lock()
        self._oldest_kept = (today or date.today()) - timedelta(days=retention_days)

    @contextmanager
    def batch(self, patients: Sequence[PatientRef]) -> Iterator[FakeBatch]:
        if not self.available:
            raise MemoryUnavailableError("claim memory unavailable: FakeOutage")
        with self._lock:
            kept = [(p, c) for p, c in self.claims if _last_date(c) >= self._oldest_kept]
            batch = FakeBatch(patients, kept)
            yield batch
            if not self.available:
                raise MemoryUnavailableError("claim memory unavailable: FakeOutage")
            stored = {(p, claim.memory_key) for p, claim in self.claims}
            for patient, claim in batch.pending:
                if (patient, claim.memory_key) not in stored:
                    self.claims.append((patient, replace(claim, sequence=self._next_sequence)))
                    self._next_sequence += 1

    def ready(self) -> bool:
        return self.available

    def purge(self, before: date) -> int:
        with self._lock:
            kept = [(p, c) for p, c in self.claims if _last_date(c) >= before]
            removed = len(self.claims) - len(kept)
            self.claims = kept
            return removed


def _last_date(claim: RememberedClaim) -> date:
    return max(line.service_date for line in claim.lines)
