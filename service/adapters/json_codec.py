"""Outcomes and dead letters to JSON bytes, in the contract's shapes (contracts/schemas)."""

import base64
from datetime import datetime
from typing import Any

import orjson

from service.domain.outcome import Change, Finding, LineState, Outcome, Pricing


def _state(state: LineState | None) -> dict[str, Any] | None:
    if state is None:
        return None
    return {
        "procedure_code": state.procedure_code,
        "modifiers": list(state.modifiers),
        "units": state.units,
    }


def _change(change: Change) -> dict[str, Any]:
    return {
        "edit_id": change.edit_id,
        "line_number": change.line_number,
        "action": change.action,
        "before": _state(change.before),
        "after": _state(change.after),
        "reason": change.reason,
    }


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "edit_id": finding.edit_id,
        "disposition": finding.disposition,
        "line_numbers": list(finding.line_numbers),
        "message": finding.message,
        "fix": finding.fix,
        "carc": finding.carc,
        "rarc": finding.rarc,
        "group_code": finding.group_code,
        "x12_path": finding.x12_path,
        "citation": finding.citation,
        "evidence": [
            {"table": e.table, "key": e.key, "source": e.source, "confidence": e.confidence}
            for e in finding.evidence
        ],
    }


def _pricing(pricing: Pricing) -> dict[str, Any]:
    return {
        "setting": pricing.setting,
        "currency": "USD",
        "lines": [
            {
                "line_number": p.line_number,
                "procedure_code": p.procedure_code,
                "method": p.method,
                "allowed": p.allowed,
                "work_rvu": p.work_rvu,
                "total_rvu": p.total_rvu,
                "conversion_factor": p.conversion_factor,
                "status_indicator": p.status_indicator,
                "apc": p.apc,
                "source": p.source,
                "confidence": p.confidence,
                "note": p.note,
            }
            for p in pricing.lines
        ],
        "total_allowed": pricing.total_allowed,
        "notes": list(pricing.notes),
    }


def outcome_document(outcome: Outcome, occurred_at: datetime) -> dict[str, Any]:
    document: dict[str, Any] = {
        "event_id": outcome.event_id,
        "event_type": outcome.event_type,
        "schema_version": 1,
        "occurred_at": occurred_at,
        "source_event_id": outcome.source_event_id,
        "claim_id": outcome.claim_id,
        "ruleset": {"version": outcome.ruleset_version, "as_of": outcome.as_of},
        # pydantic writes the claim's JSON itself; orjson embeds it as is (measured faster
        # than dumping to Python objects and encoding those again)
        "claim": orjson.Fragment(outcome.claim.model_dump_json()),
        "findings": [_finding(f) for f in outcome.findings],
    }
    changes = [_change(c) for c in outcome.changes]
    if outcome.pricing is None:
        document["proposed_changes"] = changes
    else:
        document["changes"] = changes
        document["pricing"] = _pricing(outcome.pricing)
    return document


def dead_letter_document(
    *,
    event_id: str,
    occurred_at: datetime,
    error_kind: str,
    errors: list[dict[str, str]],
    source: dict[str, Any],
    original: bytes | None,
    original_size: int,
    original_sha256: str,
) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "event_type": "claim.dead_letter",
        "schema_version": 1,
        "occurred_at": occurred_at,
        "error_kind": error_kind,
        "errors": errors,
        "source": source,
        "original_base64": (
            None if original is None else base64.b64encode(original).decode("ascii")
        ),
        "original_size": original_size,
        "original_sha256": original_sha256,
    }


def dumps(document: dict[str, Any]) -> bytes:
    return orjson.dumps(document)
