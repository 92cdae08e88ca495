"""The outcome bytes of the engine as it stood before the work for more claims per core
(commit e56bec3), pinned: the benchmark corpus (3,000 claims) and every worked sample, through
`process_batch` in batches of the service's size, on the shipped reference tables and the
default policy, with one clock value; and the claim-memory samples again with a memory (the
fake one, one at a time, so each sees the claims before it). A speed-up must not move one
byte of one outcome or its key (a field, its order, a message, an id, a price). A change of
the facts or of the contract that moves them on purpose says so by recording a new digest
here, with why.
"""

import hashlib
from datetime import UTC, datetime
from pathlib import Path

import orjson

from benchmarks.corpus import corpus
from service.app.edit_event import ClaimProcessor, Source
from service.bootstrap import build_processor, no_memory
from service.config import ServiceSettings
from tests.fake_memory import FakeMemory

NOW = datetime(2026, 12, 4, 12, 0, 0, tzinfo=UTC)
SAMPLES = Path(__file__).resolve().parents[2] / "samples"
WITHOUT_MEMORY = "da9ed300bee8db6f2bb85421cc8aea9ae25782a00baf918157b03e9ce6a023ed"
WITH_MEMORY = "68dbc2d2b5dbaf2179549a1c0631adc2224040256143d092be90bcdfedf26af5"


def outcome_digest(processor: ClaimProcessor, events: list[bytes]) -> str:
    source = Source(topic="claims.submitted", partition=0, offset=0)
    size = ServiceSettings.model_fields["batch_max_records"].default
    digest = hashlib.sha256()
    for start in range(0, len(events), size):
        batch = [(raw, source) for raw in events[start : start + size]]
        for result in processor.process_batch(batch, NOW):
            digest.update(result.key or b"")
            digest.update(b"\t")
            digest.update(result.value)
            digest.update(b"\n")
    return digest.hexdigest()


def samples(name: str) -> list[bytes]:
    return [text.encode() for text in (SAMPLES / name).read_text().splitlines() if text.strip()]


def pinned_events() -> list[bytes]:
    corpus_events = [orjson.dumps(document) for document in corpus(3_000)]
    return corpus_events + samples("claims.jsonl") + samples("memory-claims.jsonl")


def test_the_outcome_bytes_of_the_corpus_and_the_samples_are_those_before_the_speed_work() -> None:
    processor = build_processor(memory=no_memory)
    assert outcome_digest(processor, pinned_events()) == WITHOUT_MEMORY


def test_the_outcome_bytes_of_the_memory_samples_with_a_memory_are_those_before_it() -> None:
    plain = build_processor(memory=no_memory)
    remembering = ClaimProcessor(plain.reference, plain.policy, memory=FakeMemory(today=NOW.date()))
    events = samples("memory-claims.jsonl")
    one_by_one = "".join(outcome_digest(remembering, [raw]) for raw in events)
    assert hashlib.sha256(one_by_one.encode()).hexdigest() == WITH_MEMORY
