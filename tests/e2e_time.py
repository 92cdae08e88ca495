"""A fixed clock for tests that compare outputs."""

from datetime import UTC, datetime

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)
