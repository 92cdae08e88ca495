"""What every claim memory does, run against the fake (tests/fake_memory.py) and against
PostgresMemory on a real server, so that the two cannot drift."""

import secrets
from collections.abc import Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Protocol

import pytest

from service.adapters.memory import PostgresMemory
from service.app.memory import ClaimMemory, PatientRef
from service.domain.history import RememberedClaim
from tests.fake_memory import FakeMemory
from tests.memory.claims import OTHER_PATIENT, PATIENT, TODAY, key, keys, remembered


class PurgeableMemory(ClaimMemory, Protocol):
    def purge(self, before: date) -> int: ...


class EditingError(Exception):
    pass


@pytest.fixture(params=["fake", pytest.param("postgres", marks=pytest.mark.memory)])
def memory(request: pytest.FixtureRequest) -> Iterator[PurgeableMemory]:
    if request.param == "fake":
        yield FakeMemory()
        return
    url: str = request.getfixturevalue("memory_url")
    # A secret of its own: this test's patients are nobody else's on the shared server.
    with PostgresMemory(url, secrets.token_bytes(32)) as postgres:
        yield postgres


def accept(memory: ClaimMemory, *claims: RememberedClaim) -> None:
    """Each claim in a batch of its own, as a stream of one-claim batches would."""
    for claim in claims:
        with memory.batch([PATIENT]) as batch:
            batch.history(PATIENT, claim.memory_key)
            batch.remember(PATIENT, claim)


def history_of(memory: ClaimMemory, memory_key: str) -> tuple[RememberedClaim, ...]:
    with memory.batch([PATIENT]) as batch:
        return batch.history(PATIENT, memory_key).claims


def test_a_new_claim_sees_every_claim_of_the_patient_accepted_before_it_oldest_first(
    memory: PurgeableMemory,
) -> None:
    accept(memory, remembered("e1"), remembered("e2"), remembered("e3"))
    seen = history_of(memory, key("e4"))
    assert keys(seen) == ["e1", "e2", "e3"]
    assert [c.sequence for c in seen] == sorted(c.sequence for c in seen)
    assert len({c.sequence for c in seen}) == 3


def test_what_is_read_back_is_what_was_remembered(memory: PurgeableMemory) -> None:
    original = remembered("e1", days_ago=(12, 11), units=3)
    accept(memory, original)
    (stored,) = history_of(memory, key("e2"))
    assert stored.sequence > 0
    assert stored == replace(original, sequence=stored.sequence)


def test_a_replay_sees_the_history_it_saw_the_first_time(memory: PurgeableMemory) -> None:
    accept(memory, remembered("e1"), remembered("e2"))
    first_time = history_of(memory, key("e3"))
    accept(memory, remembered("e3"), remembered("e4"), remembered("e5"))
    assert history_of(memory, key("e3")) == first_time
    assert keys(history_of(memory, key("e3"))) == ["e1", "e2"]


def test_claims_accepted_after_a_claim_are_invisible_to_its_replay(
    memory: PurgeableMemory,
) -> None:
    accept(memory, remembered("e1"), remembered("e2", code="92933"))
    assert keys(history_of(memory, key("e1"))) == []
    assert keys(history_of(memory, key("e2"))) == ["e1"]


def test_remembering_a_replay_again_changes_nothing(memory: PurgeableMemory) -> None:
    accept(memory, remembered("e1"), remembered("e2"))
    before = history_of(memory, key("later"))
    accept(memory, remembered("e1", claim_id="CHANGED"))
    assert history_of(memory, key("later")) == before


def test_claims_remembered_earlier_in_a_batch_are_seen_by_the_later_claims_of_that_patient(
    memory: PurgeableMemory,
) -> None:
    accept(memory, remembered("e1"))
    with memory.batch([PATIENT, OTHER_PATIENT]) as batch:
        batch.remember(PATIENT, remembered("e2"))
        batch.remember(OTHER_PATIENT, remembered("o1"))
        assert keys(batch.history(PATIENT, key("e3")).claims) == ["e1", "e2"]
        assert keys(batch.history(PATIENT, key("e2")).claims) == ["e1"]
        assert keys(batch.history(OTHER_PATIENT, key("o2")).claims) == ["o1"]
        batch.remember(PATIENT, remembered("e3"))
    assert keys(history_of(memory, key("e4"))) == ["e1", "e2", "e3"]


def test_an_other_patient_s_claims_are_not_in_the_history(memory: PurgeableMemory) -> None:
    with memory.batch([OTHER_PATIENT]) as batch:
        batch.remember(OTHER_PATIENT, remembered("o1"))
    same_member_other_payer = PatientRef(payer_id="PAYER-12", member_id=PATIENT.member_id)
    with memory.batch([PATIENT, same_member_other_payer]) as batch:
        assert batch.history(PATIENT, key("e1")).claims == ()
        assert batch.history(same_member_other_payer, key("e1")).claims == ()


def test_a_batch_left_with_an_error_writes_nothing(memory: PurgeableMemory) -> None:
    accept(memory, remembered("e1"))
    with pytest.raises(EditingError), memory.batch([PATIENT]) as batch:
        batch.remember(PATIENT, remembered("e2"))
        raise EditingError
    assert keys(history_of(memory, key("e3"))) == ["e1"]
    accept(memory, remembered("e2"))
    assert keys(history_of(memory, key("e3"))) == ["e1", "e2"]


def test_a_void_and_a_replacement_are_stored_like_any_claim(memory: PurgeableMemory) -> None:
    original = remembered("e1", claim_id="CLM-1")
    replacement = remembered("e2", claim_id="CLM-1R", frequency="replacement", replaces="CLM-1")
    void = remembered("e3", claim_id="CLM-1V", frequency="void", replaces="CLM-1R")
    accept(memory, original, replacement, void)
    seen = history_of(memory, key("e4"))
    assert [(c.claim_id, c.frequency, c.replaces) for c in seen] == [
        ("CLM-1", "original", None),
        ("CLM-1R", "replacement", "CLM-1"),
        ("CLM-1V", "void", "CLM-1R"),
    ]


def test_the_purge_forgets_claims_whose_latest_date_of_service_is_before_the_cutoff(
    memory: PurgeableMemory,
) -> None:
    accept(
        memory,
        remembered("old", days_ago=(390,)),
        remembered("spans", days_ago=(395, 380)),
        remembered("recent", days_ago=(20,)),
    )
    removed = memory.purge(TODAY - timedelta(days=385))
    assert removed >= 1
    assert keys(history_of(memory, key("next"))) == ["spans", "recent"]


def test_claims_past_retention_are_not_read_even_before_the_purge(
    memory: PurgeableMemory,
) -> None:
    accept(memory, remembered("ancient", days_ago=(401,)), remembered("kept", days_ago=(399,)))
    assert keys(history_of(memory, key("next"))) == ["kept"]


def test_a_patient_not_named_when_the_batch_opened_is_refused(memory: PurgeableMemory) -> None:
    with memory.batch([PATIENT]) as batch, pytest.raises(ValueError) as refused:
        batch.history(OTHER_PATIENT, key("e1"))
    assert OTHER_PATIENT.member_id not in str(refused.value)


def test_a_memory_that_answers_is_ready(memory: PurgeableMemory) -> None:
    assert memory.ready()


def test_the_same_key_for_another_patient_is_another_claim_not_a_replay(
    memory: PurgeableMemory,
) -> None:
    """Two senders may reuse an event id and a claim id for different patients: each patient's
    claim is kept, and neither one's edit counts as a replay of the other's."""
    with memory.batch([OTHER_PATIENT]) as batch:
        batch.remember(OTHER_PATIENT, remembered("shared"))
    accept(memory, remembered("e1"))
    with memory.batch([PATIENT]) as batch:
        assert keys(batch.history(PATIENT, key("shared")).claims) == ["e1"]
        batch.remember(PATIENT, remembered("shared"))
    with memory.batch([PATIENT, OTHER_PATIENT]) as batch:
        assert keys(batch.history(PATIENT, key("shared")).claims) == ["e1"]
        assert keys(batch.history(OTHER_PATIENT, key("shared")).claims) == []
        assert keys(batch.history(PATIENT, key("e9")).claims) == ["e1", "shared"]
