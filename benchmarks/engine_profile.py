"""`python -m benchmarks.engine_profile`: where a claim's microseconds go in `process_batch`.

Runs the benchmark corpus through the processor twice: once plainly (the µs per claim), once
under cProfile, whose cumulative times per phase are read as shares of the profiled total
and scaled to the plain time (cProfile slows small functions more than large ones: read the
shares, not the digits). Prints a Markdown table: phase, µs per claim, share; and each edit
that ran, with the share of claims it ran on.
"""

import argparse
import cProfile
import pstats
import time
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime

import orjson

from benchmarks.corpus import corpus
from contracts import ClaimSubmitted
from service.adapters.reference_files import load_reference
from service.app.edit_event import Source
from service.bootstrap import build_processor
from service.domain.engine import _edits_for, _needs_index, _runnable
from service.domain.needs import claim_facts
from service.domain.registry import catalog
from service.domain.working_claim import WorkingClaim
from service.entrypoints.serve import settle_garbage_collection


def main() -> None:
    options = argparse.ArgumentParser(description=__doc__)
    options.add_argument("--claims", type=int, default=5_000)
    args = options.parse_args()
    events = [orjson.dumps(document) for document in corpus(args.claims)]
    processor = build_processor()
    settle_garbage_collection()
    source = Source(topic="claims.submitted", partition=0, offset=0)
    now = datetime.now(UTC)
    items = [(raw, source) for raw in events]
    processor.process_batch(items[:500], now)  # warm the memos
    started = time.perf_counter()
    processor.process_batch(items, now)
    plain = (time.perf_counter() - started) / len(items) * 1e6

    profile = cProfile.Profile()
    profile.runcall(processor.process_batch, items, now)
    stats = pstats.Stats(profile)
    entries: dict[tuple[str, str], tuple[int, float, float]] = {}
    for (file, _, name), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        entries[(file, name)] = (calls, tottime, cumtime)
    total = max(cum for _, _, cum in entries.values())

    def cumulative(match: Callable[[str, str], bool]) -> float:
        return sum(cum for (file, name), (_, _, cum) in entries.items() if match(file, name))

    def per_claim(seconds: float) -> float:
        return seconds / total * plain

    edit_functions = {spec.run.__name__: spec.edit_id for spec in catalog()}
    edits = {
        edit_functions[name]: (calls, cum)
        for (file, name), (calls, _, cum) in entries.items()
        if "service/domain/edits/" in file and name in edit_functions
    }
    edits_total = sum(cum for _, cum in edits.values())
    evaluate = cumulative(lambda f, n: n == "evaluate" and f.endswith("engine.py"))
    working = cumulative(lambda f, n: n == "__init__" and f.endswith("working_claim.py"))
    rows = [
        ("decode and validate (pydantic)", cumulative(lambda f, n: n == "_read")),
        ("evaluate, all of it", evaluate),
        ("· the edits that ran", edits_total),
        ("· working claim (lines, view)", working),
        ("· facts for the needs", cumulative(lambda f, n: n == "claim_facts")),
        ("· recording findings and changes (Finding, Change)", cumulative(_named("record"))),
        ("· the billed claim (`model_copy` after corrections)", cumulative(_named("billed_claim"))),
        ("· pricing", cumulative(lambda f, n: n == "price" and f.endswith("pricing.py"))),
        ("· output id (canonical JSON and its digest)", cumulative(lambda f, n: n == "canonical")),
        ("encode the outcome", cumulative(lambda f, n: n == "_encoded")),
    ]
    print(f"{args.claims} corpus claims, {plain:.0f} µs per claim unprofiled (process_batch)")
    print()
    print("| phase | µs per claim | share |")
    print("|---|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {per_claim(seconds):.1f} | {seconds / total:.0%} |")
    print()
    ran = _runs(events)
    print("| edit | claims it ran on | µs per corpus claim |")
    print("|---|---|---|")
    for edit_id, (_, cum) in sorted(edits.items(), key=lambda item: -item[1][1]):
        print(f"| {edit_id} | {ran[edit_id] / len(events):.0%} | {per_claim(cum):.1f} |")
    never = sorted({spec.edit_id for spec in catalog()} - set(edits))
    print(f"| {', '.join(never) or '-'} | 0% | 0 |")


def _named(wanted: str) -> Callable[[str, str], bool]:
    return lambda file, name: name == wanted and "service/domain/" in file


def _runs(events: list[bytes]) -> Counter[str]:
    """How many claims each edit runs on, by the facts a claim starts with (a correction
    can add an edit later: rare)."""
    reference = load_reference()
    ran: Counter[str] = Counter()
    for raw in events:
        event = ClaimSubmitted.model_validate_json(raw)
        working = WorkingClaim(event.claim, reference)
        versions = frozenset([line.ruleset.version for line in working.lines if line.ruleset])
        runnable = _runnable(versions, _needs_index().met(claim_facts(working)))
        ran.update(
            spec.edit_id
            for (spec, _), run in zip(_edits_for(versions), runnable, strict=True)
            if run
        )
    return ran


if __name__ == "__main__":
    main()
