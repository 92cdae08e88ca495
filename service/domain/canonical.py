"""An event's canonical JSON: what names its output (the content digest), keys the claim
memory, and, when an outcome carries the claim as it was sent, is written as that claim.

Canonical means pydantic's serialization of the validated event: field order and spelling
fixed by the contract, whatever whitespace, key order or number spelling the sender used.
The claim is serialized once and the event's JSON put together around it: the claim is the
event's last field, so the event's JSON is its other fields' and then the claim's.
"""

import hashlib
from dataclasses import dataclass

from pydantic import TypeAdapter

from contracts import Claim, ClaimSubmitted

if list(ClaimSubmitted.model_fields)[-1] != "claim":  # pragma: no cover (a contract change)
    raise RuntimeError(
        "ClaimSubmitted's last field must be its claim (service/domain/canonical.py)"
    )

_CLAIM_JSON: TypeAdapter[Claim] = TypeAdapter(Claim)
_WITHOUT_CLAIM = {"claim"}


@dataclass(frozen=True, slots=True)
class Canonical:
    claim_json: bytes
    """The claim's canonical JSON."""
    digest: bytes
    """sha256 of the whole event's canonical JSON."""


def claim_json(claim: Claim) -> bytes:
    """The claim's canonical JSON (also how an outcome's changed claim is written)."""
    return _CLAIM_JSON.dump_json(claim)


def canonical(event: ClaimSubmitted) -> Canonical:
    claim = claim_json(event.claim)
    head = event.model_dump_json(exclude=_WITHOUT_CLAIM).encode()
    whole = b"".join((head[:-1], b',"claim":', claim, b"}"))
    return Canonical(claim, hashlib.sha256(whole).digest())
