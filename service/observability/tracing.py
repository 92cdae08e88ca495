"""W3C trace context: a `traceparent` on an input record is continued on its output.

Off unless an OTLP endpoint is configured (CLAIM_EDIT_OTLP_ENDPOINT): then each traced record
gets a span, child of the input's, and the output carries that span's `traceparent`. With
tracing off the editor never looks at the header (no cost). OpenTelemetry is the optional
`tracing` extra.
"""

from typing import Any

from service.app.records import InputRecord

HEADERS = ("traceparent", "tracestate")


class Tracing:
    """Continues a record's trace; built around an OpenTelemetry tracer."""

    def __init__(self, tracer: Any) -> None:
        from opentelemetry.propagate import extract, inject
        from opentelemetry.trace import SpanKind

        self.tracer = tracer
        self._extract, self._inject, self._kind = extract, inject, SpanKind.CONSUMER

    def continue_trace(
        self, record: InputRecord, event_type: str, started_ns: int
    ) -> tuple[tuple[str, bytes], ...]:
        """The trace headers for the output of `record`; none when it carried no trace. The
        span starts at `started_ns` (when its edit began), so it encloses the edit."""
        carrier = {name: value for name in HEADERS if (value := record.copyable_header(name))}
        if "traceparent" not in carrier:
            return ()
        with self.tracer.start_as_current_span(
            "claim-edit edit",
            context=self._extract(carrier),
            kind=self._kind,
            start_time=started_ns,
            attributes={
                "messaging.system": "kafka",
                "messaging.destination.name": record.topic,
                "messaging.kafka.message.offset": record.offset,
                "claim_edit.outcome": event_type,
            },
        ):
            out: dict[str, str] = {}
            self._inject(out)
        return tuple((name, out[name].encode()) for name in HEADERS if name in out)


def otlp_tracing(endpoint: str, service_name: str) -> Tracing:
    """A tracer exporting over OTLP/HTTP in batches (never on the hot path)."""
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor

    provider = TracerProvider(resource=Resource.create({"service.name": service_name}))
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=endpoint)))
    return Tracing(provider.get_tracer("claim-edit"))
