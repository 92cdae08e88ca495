"""The bundled sample claims (package data: claims.jsonl) and their expected outcomes."""
