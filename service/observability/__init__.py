"""Logs, metrics and health: what an SRE sees. No patient data reaches any of them."""
