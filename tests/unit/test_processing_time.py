"""Each result says how long its own input took (read, edit, encode): what the
claim_edit_processing_seconds histogram observes."""

import time
from datetime import UTC, datetime

import orjson

from benchmarks.corpus import corpus
from service.app.edit_event import Source
from service.bootstrap import build_processor, no_memory

SOURCE = Source(topic="claims.submitted", partition=0, offset=0)


def test_every_result_of_a_batch_carries_its_own_time_and_together_no_more_than_the_batch() -> None:
    processor = build_processor(memory=no_memory)
    items = [(orjson.dumps(document), SOURCE) for document in corpus(40)]
    items += [(b"{not json", SOURCE), (b'{"event_type": "claim.submitted"}', SOURCE)]
    started = time.perf_counter()
    results = processor.process_batch(items, datetime.now(UTC))
    elapsed = time.perf_counter() - started
    assert [result.event_type.value for result in results[-2:]] == ["claim.dead_letter"] * 2
    assert all(result.seconds > 0 for result in results)
    assert sum(result.seconds for result in results) <= elapsed
