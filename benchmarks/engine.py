"""`make bench-engine`: the engine from JSON bytes to JSON bytes, against an orjson round trip.

Prints, as its last line: `engine: N claims/s, R x orjson round trip`, where R is the
engine's time per claim over orjson loads+dumps of the same events, both timed in this run.
The engine runs as the service runs it: `process_batch` over batches of the service's
default size. One event at a time (`process`, as `claim-edit check` runs) is printed too.
"""

import argparse
import cProfile
import gc
import sys
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TypeVar

import orjson

from benchmarks.corpus import corpus
from service.app.edit_event import ClaimProcessor, Source
from service.bootstrap import build_processor
from service.config import ServiceSettings
from service.entrypoints.serve import settle_garbage_collection

T = TypeVar("T")


def interleaved(
    rounds: int, chunks: list[list[T]], variants: dict[str, Callable[[list[T]], object]]
) -> dict[str, float]:
    """Seconds per variant over all chunks, best of `rounds`. The variants take turns chunk
    by chunk, so a shared machine's drift weighs on each of them alike."""
    best = dict.fromkeys(variants, float("inf"))
    for _ in range(rounds):
        totals = dict.fromkeys(variants, 0.0)
        for chunk in chunks:
            for name, work in variants.items():
                started = time.perf_counter()
                work(chunk)
                totals[name] += time.perf_counter() - started
        best = {name: min(best[name], totals[name]) for name in variants}
    return best


def footprint(processor: ClaimProcessor, items: list[tuple[bytes, Source]]) -> tuple[float, float]:
    """(memory blocks a batch's outputs hold per claim, function calls per claim).

    Blocks: `sys.getallocatedblocks()` before and after one batch, with its results kept
    alive as the service keeps them until the broker acknowledges (the collector's work
    grows with them). Calls: every Python and built-in call cProfile sees over the batch.
    """
    now = datetime.now(UTC)
    gc.collect()
    before = sys.getallocatedblocks()
    kept = processor.process_batch(items, now)
    blocks = (sys.getallocatedblocks() - before) / len(items)
    del kept
    profile = cProfile.Profile()
    profile.runcall(processor.process_batch, items, now)
    calls = sum(entry.callcount for entry in profile.getstats())
    return blocks, calls / len(items)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--claims", type=int, default=20_000)
    options.add_argument("--rounds", type=int, default=3)
    args = options.parse_args()
    events = [orjson.dumps(document) for document in corpus(args.claims)]
    processor = build_processor()
    settle_garbage_collection()  # as `serve` does after loading the reference tables
    source = Source(topic="claims.submitted", partition=0, offset=0)
    now = datetime.now(UTC)
    outcomes = Counter(processor.process(raw, source, now).event_type for raw in events)

    batch_size = ServiceSettings.model_fields["batch_max_records"].default
    chunks = [events[start : start + batch_size] for start in range(0, len(events), batch_size)]
    seconds = interleaved(
        args.rounds,
        chunks,
        {
            "batch": lambda chunk: processor.process_batch([(raw, source) for raw in chunk], now),
            "single": lambda chunk: [processor.process(raw, source, now) for raw in chunk],
            "orjson": lambda chunk: [orjson.dumps(orjson.loads(raw)) for raw in chunk],
        },
    )
    engine_seconds, single_seconds, baseline_seconds = (
        seconds["batch"],
        seconds["single"],
        seconds["orjson"],
    )
    lines = sum(len(orjson.loads(raw)["claim"]["lines"]) for raw in events)
    print(
        f"corpus: {len(events)} claims, {lines / len(events):.1f} lines/claim, "
        f"{sum(map(len, events)) / len(events):.0f} bytes/claim, outcomes {dict(outcomes)}"
    )
    print(
        f"engine one event at a time: {single_seconds / len(events) * 1e6:.1f} us/claim, "
        f"{len(events) / single_seconds:,.0f} claims/s"
    )
    print(
        f"engine in batches of {batch_size}: {engine_seconds / len(events) * 1e6:.1f} us/claim; "
        f"orjson round trip: {baseline_seconds / len(events) * 1e6:.2f} us/claim "
        f"(best of {args.rounds})"
    )
    blocks, calls = footprint(processor, [(raw, source) for raw in chunks[0]])
    print(
        f"per claim: {blocks:.0f} memory blocks kept by its outputs, {calls:.0f} function calls "
        f"(one batch of {len(chunks[0])})"
    )
    print(
        f"engine: {len(events) / engine_seconds:,.0f} claims/s, "
        f"{engine_seconds / baseline_seconds:.1f} x orjson round trip"
    )


if __name__ == "__main__":
    main()
