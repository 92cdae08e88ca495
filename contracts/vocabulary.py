"""The words the contract and the engine share, defined once (both import them)."""

from enum import StrEnum
from typing import Literal

Disposition = Literal["claim_rejection", "line_rejection", "correction", "warning", "info"]
ChangeAction = Literal[
    "remove_line", "replace_code", "add_modifier", "remove_modifier", "set_units"
]
Confidence = Literal["confirmed", "secondary", "guide", "derived", "provisional"]


class EventType(StrEnum):
    """Every event the service reads or writes, by its `event-type` header and field. Each
    event model pins its own value as a Literal (contracts/events.py); a test holds the two
    together."""

    SUBMITTED = "claim.submitted"
    ENRICHED = "claim.enriched"
    REJECTED = "claim.rejected"
    DEAD_LETTER = "claim.dead_letter"
    ACK_277CA = "x12.277ca"
    ACK_999 = "x12.999"


class ErrorKind(StrEnum):
    """Why a dead letter could not be a claim outcome."""

    UNDECODABLE = "undecodable"
    SCHEMA_INVALID = "schema_invalid"
    PROCESSING_ERROR = "processing_error"
    TOO_LARGE = "too_large"
    UNPUBLISHABLE = "unpublishable"
