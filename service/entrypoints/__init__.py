"""Thin entry points: the command line and the Kafka application."""
