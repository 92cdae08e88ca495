"""The claim memory's settings and commands, without a server."""

import os
import subprocess
from pathlib import Path

import pytest
from pydantic import ValidationError

from service.config import EngineSettings, MemorySettings, env_variable_names, settings_error_text
from service.entrypoints.cli import main

ROOT = Path(__file__).resolve().parents[2]
URL = "postgresql://editor:hunter2@db.example:5432/claims"


@pytest.fixture(autouse=True)
def no_memory_in_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in env_variable_names():
        monkeypatch.delenv(name, raising=False)


def test_without_a_url_there_is_no_memory_and_retention_is_400_days() -> None:
    settings = EngineSettings(_env_file=None)
    assert settings.memory_url is None
    assert settings.memory_retention_days == 400


def test_a_memory_without_its_secret_stops_start_up_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLAIM_EDIT_MEMORY_URL", URL)
    with pytest.raises(ValidationError) as error:
        EngineSettings(_env_file=None)
    assert settings_error_text(EngineSettings, error.value) == (
        "CLAIM_EDIT_MEMORY_SECRET: required when memory_url is set"
    )


def test_the_url_and_the_secret_never_show_in_the_settings_text(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("CLAIM_EDIT_MEMORY_URL", URL)
    monkeypatch.setenv("CLAIM_EDIT_MEMORY_SECRET", "s3cr3t-key-of-16-chars")
    settings = EngineSettings(_env_file=None)
    assert "hunter2" not in repr(settings) and "s3cr3t-key" not in repr(settings)
    assert settings.memory_url is not None
    assert settings.memory_url.get_secret_value() == URL


def test_the_memory_commands_read_no_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIM_EDIT_MEMORY_URL", URL)
    assert MemorySettings(_env_file=None).memory_secret is None


def test_memory_commands_without_a_memory_are_a_usage_error(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["memory", "purge"]) == 2
    assert main(["memory", "migrate"]) == 2
    assert "no claim memory configured" in capsys.readouterr().err


def test_with_postgres_passes_a_configured_server_through() -> None:
    given = "postgresql://someone@elsewhere:5432/db"
    shown = subprocess.run(
        [str(ROOT / "scripts" / "with-postgres"), "printenv", "CLAIM_EDIT_POSTGRES_URL"],
        env={**os.environ, "CLAIM_EDIT_POSTGRES_URL": given},
        capture_output=True,
        text=True,
        check=True,
    )
    assert shown.stdout.strip() == given


@pytest.mark.parametrize(
    "url",
    [
        "postgress://u:SuperSecretPw@127.0.0.1:5432/db",
        "mysql://u:SuperSecretPw@h/db",
    ],
)
def test_a_malformed_memory_url_is_one_line_that_never_shows_the_password(
    url: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLAIM_EDIT_MEMORY_SECRET", "a-secret-of-16-characters")
    assert main(["check", "--memory", url, "-"]) == 2
    err = capsys.readouterr().err
    assert "SuperSecretPw" not in err
    assert len(err.strip().splitlines()) == 1 and "URL" in err


def test_a_short_memory_secret_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIM_EDIT_MEMORY_SECRET", "short")
    with pytest.raises(ValidationError, match="at least 16 characters"):
        MemorySettings(_env_file=None)


def test_an_empty_memory_url_is_no_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CLAIM_EDIT_MEMORY_URL", "")
    assert MemorySettings(_env_file=None).memory_url is None


def test_check_uses_no_memory_unless_told_even_with_the_variable_set(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """A claim tried with `check` is not a claim billed: with CLAIM_EDIT_MEMORY_URL set (here
    a port nothing answers on) and no --memory, it is edited without memory, not refused."""
    monkeypatch.setenv("CLAIM_EDIT_MEMORY_URL", "postgresql://nobody@127.0.0.1:9/none")
    monkeypatch.setenv("CLAIM_EDIT_MEMORY_SECRET", "a-secret-of-16-characters")
    sample = ROOT / "samples" / "memory-claims.jsonl"
    assert main(["check", str(sample)]) == 0
    assert "Not checked: no claim memory" in capsys.readouterr().out
