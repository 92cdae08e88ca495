"""The use cases: one input record in, its typed outputs out (see service/app/results.py)."""
