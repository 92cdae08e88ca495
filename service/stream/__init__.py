"""The Kafka side of the service: one consume-edit-produce loop and what it needs."""
