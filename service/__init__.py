"""Claim-edit service for interventional cardiology (PCI) billing."""
