"""The edit catalog. Importing this package registers every edit."""

from service.domain.edits import (
    bundling,
    claim_integrity,
    documentation,
    history,
    modifiers,
    reference_scope,
    setting,
    territory,
)

__all__ = [
    "bundling",
    "claim_integrity",
    "documentation",
    "history",
    "modifiers",
    "reference_scope",
    "setting",
    "territory",
]
