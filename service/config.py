"""Settings from environment variables (and an optional .env); names are binding (contract.md)."""

from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EngineSettings(BaseSettings):
    """What the edit engine needs: policy and reference data locations."""

    model_config = SettingsConfigDict(
        env_prefix="CLAIM_EDIT_", env_file=".env", extra="ignore", frozen=True
    )

    policy_file: Path | None = Field(default=None, description="policy TOML; unset: defaults")
    reference_dir: Path | None = Field(
        default=None, description="directory of official CMS NCCI PTP/MUE files"
    )
    max_event_bytes: int = Field(default=16 * 1024 * 1024, ge=1024)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
