"""`claim-edit api`: the edit engine over HTTP, and the pages it serves (docs/api.md)."""
