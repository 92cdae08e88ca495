"""I/O at the edges: files, JSON bytes, Kafka, HTTP."""
