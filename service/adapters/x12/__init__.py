"""X12 005010: 837 claims in, 277CA acknowledgements and 999 reports out."""
