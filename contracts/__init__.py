"""The event contract (v1): what billing platforms publish and what they get back.

Field names are binding (see the spec's contract.md): add fields, never rename.
"""

from contracts.claim import (
    Claim,
    ClaimLine,
    Lesion,
    Patient,
    Payer,
    Procedure,
    Provider,
    RenderingProvider,
    ServiceFacility,
)
from contracts.events import (
    CLAIM_OUTCOME,
    Change,
    ClaimEnriched,
    ClaimRejected,
    ClaimSubmitted,
    DeadLetter,
    DeadLetterSource,
    Evidence,
    Finding,
    LineSnapshot,
    Locality,
    PricedLine,
    Pricing,
    ReferenceSource,
    RulesetRef,
    ValidationProblem,
)

SCHEMA_VERSION = 1

__all__ = [
    "CLAIM_OUTCOME",
    "SCHEMA_VERSION",
    "Change",
    "Claim",
    "ClaimEnriched",
    "ClaimLine",
    "ClaimRejected",
    "ClaimSubmitted",
    "DeadLetter",
    "DeadLetterSource",
    "Evidence",
    "Finding",
    "Lesion",
    "LineSnapshot",
    "Locality",
    "Patient",
    "Payer",
    "PricedLine",
    "Pricing",
    "Procedure",
    "Provider",
    "ReferenceSource",
    "RenderingProvider",
    "RulesetRef",
    "ServiceFacility",
    "ValidationProblem",
]
