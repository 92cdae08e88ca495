"""A traceparent on the input is continued on the output (OpenTelemetry, in-memory export);
with tracing off, or without one, the output carries none."""

from typing import Any

import orjson
import pytest
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from service.app.edit_event import ClaimProcessor
from service.app.edit_records import RecordEditor
from service.app.records import Header, InputRecord
from service.app.routing import Topics
from service.observability.metrics import ServiceMetrics
from service.observability.tracing import Tracing
from tests.builders import event_document, line
from tests.e2e_time import NOW

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT}-01".encode()


def traced_editor(processor: ClaimProcessor) -> tuple[RecordEditor, InMemorySpanExporter]:
    exported = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exported))
    editor = RecordEditor(
        processor,
        Topics("ok", "no", "dlq"),
        ServiceMetrics(),
        clock=lambda: NOW,
        tracing=Tracing(provider.get_tracer("test")),
    )
    return editor, exported


def record(headers: tuple[Header, ...]) -> InputRecord:
    value = orjson.dumps(event_document(line("92924", "LD"), event_id="t1"))
    return InputRecord("claims.submitted", 0, 7, b"k", value, headers)


def test_the_inputs_trace_is_continued_by_a_child_span(processor: ClaimProcessor) -> None:
    editor, exported = traced_editor(processor)
    [output] = editor.edit([record((("traceparent", TRACEPARENT),))])
    traceparent = dict(output.headers)["traceparent"].decode()
    version, trace_id, span_id, flags = traceparent.split("-")
    assert (version, trace_id, flags) == ("00", TRACE_ID, "01")
    [span] = exported.get_finished_spans()
    assert span.parent is not None and format(span.parent.span_id, "016x") == PARENT
    assert format(span.context.span_id, "016x") == span_id
    assert span.attributes is not None
    assert span.attributes["messaging.kafka.message.offset"] == 7


@pytest.mark.parametrize(
    "headers",
    [(), (("traceparent", None),), (("traceparent", b"\xff not utf-8"),)],
    ids=["absent", "null", "binary"],
)
def test_no_usable_traceparent_means_no_span_and_no_header(
    processor: ClaimProcessor, headers: tuple[Header, ...]
) -> None:
    editor, exported = traced_editor(processor)
    [output] = editor.edit([record(headers)])
    assert "traceparent" not in dict(output.headers)
    assert exported.get_finished_spans() == ()


def test_with_tracing_off_the_header_is_not_copied(processor: ClaimProcessor) -> None:
    editor = RecordEditor(processor, Topics("ok", "no", "dlq"), ServiceMetrics(), clock=lambda: NOW)
    [output] = editor.edit([record((("traceparent", TRACEPARENT),))])
    assert "traceparent" not in dict(output.headers)


def test_the_span_encloses_the_edit(
    processor: ClaimProcessor, monkeypatch: pytest.MonkeyPatch
) -> None:
    import time

    editor, exported = traced_editor(processor)
    stamps: list[int] = []
    edit_batch = processor.process_batch

    def stamped(*args: Any) -> Any:  # the moment the claim is being edited
        results = edit_batch(*args)
        stamps.append(time.time_ns())
        return results

    monkeypatch.setattr(processor, "process_batch", stamped)
    editor.edit([record((("traceparent", TRACEPARENT),))])
    [span] = exported.get_finished_spans()
    assert span.start_time is not None and span.end_time is not None
    assert span.start_time <= stamps[0] <= span.end_time


def test_each_claim_is_timed_on_its_own(processor: ClaimProcessor) -> None:
    small = orjson.dumps(event_document(line("92924", "LD")))
    results = processor.process_batch(
        [(small, record(()).source), (b"{not json", record(()).source)], NOW
    )
    assert all(result.seconds > 0 for result in results)
    assert results[0].seconds != results[1].seconds
