"""The words the contract and the engine share, defined once (both import them)."""

from typing import Literal

Disposition = Literal["claim_rejection", "line_rejection", "correction", "warning", "info"]
ChangeAction = Literal[
    "remove_line", "replace_code", "add_modifier", "remove_modifier", "set_units"
]
Confidence = Literal["confirmed", "secondary", "guide", "derived", "provisional"]
ErrorKind = Literal[
    "undecodable", "schema_invalid", "processing_error", "too_large", "unpublishable"
]
