"""The pure edit engine: no I/O, no Kafka, no clock.

`claim-edit check` and the Kafka service call the very same `evaluate`.
"""
