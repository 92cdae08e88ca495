"""Counting what a fault scenario did to the stream: inputs, outputs, repeats, losses."""

import base64
import hashlib
import json
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field

from aiokafka import ConsumerRecord


@dataclass
class Tally:
    scenario: str
    guarantee: str
    injected: str
    inputs: int = 0
    poison_inputs: int = 0
    outputs: int = 0
    lost: int = 0
    duplicates: int = 0
    repeats_with_other_event_id: int = 0
    dead_letters: int = 0
    unexpected_dead_letters: int = 0
    seconds: float = 0.0
    recovery_seconds: float | None = None
    notes: list[str] = field(default_factory=list)
    measured: dict[str, float | int | bool | None] = field(default_factory=dict)
    """Figures a scenario asserts on beyond the counts (a latency, a readiness answer)."""

    def as_row(self) -> dict[str, object]:
        return asdict(self)


def input_identity(
    outputs: Sequence[ConsumerRecord[bytes, bytes]], raw_to_id: dict[bytes, str]
) -> list[tuple[str, dict[str, object]]]:
    """(input id, output document) for each output: source_event_id, or the dead letter's
    original bytes mapped back to the input that carried them."""
    found = []
    for record in outputs:
        document = json.loads(record.value or b"{}")
        if document.get("event_type") == "claim.dead_letter":
            if document["original_base64"] is None:  # bounded: only the hash travels
                by_hash = {hashlib.sha256(raw).hexdigest(): key for raw, key in raw_to_id.items()}
                digest = document["original_sha256"]
                found.append((by_hash.get(digest, f"?{digest[:12]}"), document))
                continue
            original = base64.b64decode(document["original_base64"])
            found.append((raw_to_id.get(original, f"?{original[:20]!r}"), document))
        else:
            found.append((str(document.get("source_event_id")), document))
    return found


def count(
    tally: Tally,
    inputs: dict[str, bytes],
    poison: set[str],
    outputs: Sequence[ConsumerRecord[bytes, bytes]],
) -> Tally:
    raw_to_id = {raw: key for key, raw in inputs.items()}
    by_input: dict[str, list[dict[str, object]]] = defaultdict(list)
    for input_id, document in input_identity(outputs, raw_to_id):
        by_input[input_id].append(document)
    tally.inputs = len(inputs)
    tally.poison_inputs = len(poison)
    tally.outputs = len(outputs)
    tally.lost = sum(1 for key in inputs if key not in by_input)
    tally.duplicates = sum(len(docs) - 1 for key, docs in by_input.items() if key in inputs)
    tally.repeats_with_other_event_id = sum(
        1 for docs in by_input.values() if len({d["event_id"] for d in docs}) > 1
    )
    dead = {
        key
        for key, docs in by_input.items()
        if any(d["event_type"] == "claim.dead_letter" for d in docs)
    }
    tally.dead_letters = len(dead)
    tally.unexpected_dead_letters = len(dead - poison)
    strangers = [key for key in by_input if key not in inputs]
    if strangers:
        tally.notes.append(f"{len(strangers)} outputs match no input")
    return tally
