"""Writes samples/x12/: every worked sample as an 837P and as an 837I interchange, and the
documentation the 837 cannot carry (`--documentation`). Run after changing the samples;
tests/unit/test_x12_samples.py checks the files are up to date.

    python -m scripts.x12_samples
"""

import json
from pathlib import Path

from tests.x12_837 import interchange_837

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"


def written() -> dict[str, str]:
    claims = [
        json.loads(line)["claim"]
        for line in (SAMPLES / "claims.jsonl").read_text().splitlines()
        if line.strip()
    ]
    documentation = [
        json.dumps(
            {
                "claim_id": claim["claim_id"],
                "procedure": claim["procedure"],
                "rendering_provider": {
                    "qualifying_apm_participant": claim["rendering_provider"].get(
                        "qualifying_apm_participant", False
                    )
                },
            }
        )
        for claim in claims
        if claim.get("procedure")
    ]
    return {
        "samples.837p.x12": interchange_837(claims, "837P") + "\n",
        "samples.837i.x12": interchange_837(claims, "837I") + "\n",
        "documentation.jsonl": "\n".join(documentation) + "\n",
    }


def main() -> None:
    for name, text in written().items():
        (SAMPLES / "x12" / name).write_text(text)
        print(f"samples/x12/{name}")


if __name__ == "__main__":
    main()
