"""JSON Schema of every event, as checked in under contracts/schemas/."""

import json
from pathlib import Path

from pydantic import BaseModel

from contracts.events import ClaimEnriched, ClaimRejected, ClaimSubmitted, DeadLetter

SCHEMA_DIR = Path(__file__).parent / "schemas"
EVENT_MODELS: dict[str, type[BaseModel]] = {
    "claim.submitted": ClaimSubmitted,
    "claim.enriched": ClaimEnriched,
    "claim.rejected": ClaimRejected,
    "claim.dead_letter": DeadLetter,
}


def render_schemas() -> dict[str, str]:
    """File name → JSON text for each event's schema (validation mode for the input)."""
    rendered: dict[str, str] = {}
    for event_type, model in EVENT_MODELS.items():
        schema = model.model_json_schema(
            mode="validation" if model is ClaimSubmitted else "serialization"
        )
        schema["$id"] = f"urn:claim-edit:{event_type}:v1"
        rendered[f"{event_type}.v1.json"] = json.dumps(schema, indent=2, sort_keys=True) + "\n"
    return rendered


def write_schemas(directory: Path = SCHEMA_DIR) -> list[Path]:
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in render_schemas().items():
        path = directory / name
        path.write_text(text)
        written.append(path)
    return written


if __name__ == "__main__":
    for path in write_schemas():
        print(path)
