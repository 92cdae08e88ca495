"""`make bench-engine`: the engine from JSON bytes to JSON bytes, against an orjson round trip.

Prints, as its last line: `engine: N claims/s, R x orjson round trip`, where R is the
engine's time per claim over orjson loads+dumps of the same events, both timed in this run.
"""

import argparse
import gc
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import orjson

from benchmarks.corpus import corpus
from service.bootstrap import build_processor
from service.processing import Source


def best_of(rounds: int, work: Callable[[], None]) -> float:
    timings = []
    for _ in range(rounds):
        started = time.perf_counter()
        work()
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--claims", type=int, default=20_000)
    options.add_argument("--rounds", type=int, default=3)
    args = options.parse_args()
    events = [orjson.dumps(document) for document in corpus(args.claims)]
    processor = build_processor()
    gc.freeze()  # as the service does after loading: long-lived tables leave the GC's scans
    source = Source(topic="claims.submitted", partition=0, offset=0)
    now = datetime.now(UTC)
    outcomes = Counter(processor.process(raw, source, now).event_type for raw in events)

    def engine() -> None:
        for raw in events:
            processor.process(raw, source, now)

    def round_trip() -> None:
        for raw in events:
            orjson.dumps(orjson.loads(raw))

    engine_seconds = best_of(args.rounds, engine)
    baseline_seconds = best_of(args.rounds, round_trip)
    lines = sum(len(orjson.loads(raw)["claim"]["lines"]) for raw in events)
    print(
        f"corpus: {len(events)} claims, {lines / len(events):.1f} lines/claim, "
        f"{sum(map(len, events)) / len(events):.0f} bytes/claim, outcomes {dict(outcomes)}"
    )
    print(
        f"engine: {engine_seconds / len(events) * 1e6:.1f} us/claim; "
        f"orjson round trip: {baseline_seconds / len(events) * 1e6:.2f} us/claim "
        f"(best of {args.rounds})"
    )
    print(
        f"engine: {len(events) / engine_seconds:,.0f} claims/s, "
        f"{engine_seconds / baseline_seconds:.1f} x orjson round trip"
    )


if __name__ == "__main__":
    main()
