"""`serve --help` (and `api --help`) list every setting, generated from the settings models."""

import inspect
import re

import pytest
from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from service import config
from service.config import EngineSettings, KafkaSettings, ServiceSettings
from service.entrypoints.cli import main
from service.entrypoints.settings_help import settings_epilog

MODELS = [
    model
    for _, model in inspect.getmembers(config, inspect.isclass)
    if issubclass(model, BaseSettings) and model is not BaseSettings
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_setting_says_what_it_means(model: type[BaseSettings]) -> None:
    missing = [name for name, info in model.model_fields.items() if not info.description]
    assert missing == []


def serve_help(capsys: pytest.CaptureFixture[str]) -> str:
    with pytest.raises(SystemExit) as stopped:
        main(["serve", "--help"])
    assert stopped.value.code == 0
    return capsys.readouterr().out


def test_serve_help_names_every_variable_serve_reads(capsys: pytest.CaptureFixture[str]) -> None:
    out = serve_help(capsys)
    named = set(re.findall(r"^  ((?:CLAIM_EDIT|KAFKA)_[A-Z0-9_]+)  \(", out, re.MULTILINE))
    assert named == config.env_variable_names(
        config.EngineSettings, config.KafkaSettings, config.ServiceSettings
    )


def test_api_help_names_every_variable_api_reads(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["api", "--help"])
    out = capsys.readouterr().out
    named = set(re.findall(r"^  ((?:CLAIM_EDIT|KAFKA)_[A-Z0-9_]+)  \(", out, re.MULTILINE))
    assert named == config.env_variable_names(
        config.ApiSettings, config.EngineSettings, config.KafkaSettings
    )


def test_each_setting_shows_its_default_bounds_and_meaning(
    capsys: pytest.CaptureFixture[str],
) -> None:
    out = " ".join(serve_help(capsys).split())
    assert (
        "CLAIM_EDIT_MAX_EVENT_BYTES (default: 16777216; at least 1024) larger: dead letter" in out
    )
    assert "CLAIM_EDIT_TOPIC_X12 (default: unset)" in out
    assert "CLAIM_EDIT_PROCESSING_GUARANTEE (default: at_least_once; one of at_least_once, " in out
    assert (
        "KAFKA_SASL_MECHANISM (default: unset; one of PLAIN, SCRAM-SHA-256, SCRAM-SHA-512)" in out
    )


def test_the_settings_wrap_to_the_width_given() -> None:
    text = settings_epilog(EngineSettings, KafkaSettings, ServiceSettings, width=60)
    assert max(len(line) for line in text.splitlines()) <= 60
    assert "CLAIM_EDIT_HTTP_PORT" in text


def test_a_choice_with_hyphens_is_never_split_across_lines() -> None:
    text = settings_epilog(KafkaSettings, width=40)
    assert "SCRAM-SHA-256," in text.split()


def test_a_model_with_an_undescribed_setting_is_refused() -> None:
    class Undescribed(BaseSettings):
        """A model someone forgot to document."""

        model_config = SettingsConfigDict(env_prefix="X_")
        said: int = Field(default=1, description="described")
        unsaid: int = 2

    with pytest.raises(ValueError, match="unsaid"):
        settings_epilog(Undescribed)
