"""Claim-edit service for interventional cardiology (PCI) billing."""

from service import compiled as _compiled

if (_build := _compiled.requested()) is not None:
    _compiled.activate(_build)
