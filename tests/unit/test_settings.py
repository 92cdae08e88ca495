"""Settings: defaults, errors that name the variable, and the client security they produce."""

from pathlib import Path

import pytest
from pydantic import ValidationError

from service.adapters.kafka_security import aiokafka_options
from service.config import (
    EngineSettings,
    KafkaSettings,
    ServiceSettings,
    env_variable_names,
    settings_error_text,
)


def test_defaults_match_the_contract(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in env_variable_names():
        monkeypatch.delenv(name, raising=False)
    kafka, service = KafkaSettings(_env_file=None), ServiceSettings(_env_file=None)
    assert kafka.bootstrap_servers == "127.0.0.1:9092"
    assert kafka.security_protocol == "PLAINTEXT"
    assert (
        service.topic_submitted,
        service.topic_enriched,
        service.topic_rejected,
        service.topic_dlq,
    ) == ("claims.submitted", "claims.enriched", "claims.rejected", "claims.dlq")
    assert (service.group_id, service.http_port) == ("claim-edit", 8080)


def test_binding_variable_names_are_read() -> None:
    assert {
        "KAFKA_BOOTSTRAP_SERVERS",
        "KAFKA_SECURITY_PROTOCOL",
        "KAFKA_SASL_MECHANISM",
        "KAFKA_SASL_USERNAME",
        "KAFKA_SASL_PASSWORD",
        "KAFKA_SSL_CAFILE",
        "KAFKA_SSL_CERTFILE",
        "KAFKA_SSL_KEYFILE",
        "CLAIM_EDIT_TOPIC_SUBMITTED",
        "CLAIM_EDIT_TOPIC_ENRICHED",
        "CLAIM_EDIT_TOPIC_REJECTED",
        "CLAIM_EDIT_TOPIC_DLQ",
        "CLAIM_EDIT_GROUP_ID",
        "CLAIM_EDIT_PROCESSING_GUARANTEE",
        "CLAIM_EDIT_HTTP_PORT",
        "CLAIM_EDIT_POLICY_FILE",
        "CLAIM_EDIT_REFERENCE_DIR",
        "CLAIM_EDIT_LOG_LEVEL",
    } <= env_variable_names()


@pytest.mark.parametrize(
    ("model", "env", "named"),
    [
        (ServiceSettings, {"CLAIM_EDIT_HTTP_PORT": "eighty"}, "CLAIM_EDIT_HTTP_PORT"),
        (
            ServiceSettings,
            {"CLAIM_EDIT_PROCESSING_GUARANTEE": "maybe"},
            "CLAIM_EDIT_PROCESSING_GUARANTEE",
        ),
        (KafkaSettings, {"KAFKA_SECURITY_PROTOCOL": "SASL_SSL"}, "KAFKA_SASL_MECHANISM"),
        (KafkaSettings, {"KAFKA_SSL_CAFILE": "/nonexistent/ca.pem"}, "KAFKA_SSL_CAFILE"),
        (EngineSettings, {"CLAIM_EDIT_POLICY_FILE": "/nonexistent.toml"}, "CLAIM_EDIT_POLICY_FILE"),
        (EngineSettings, {"CLAIM_EDIT_LOG_LEVEL": "LOUD"}, "CLAIM_EDIT_LOG_LEVEL"),
    ],
)
def test_a_wrong_setting_is_named(
    monkeypatch: pytest.MonkeyPatch, model: type, env: dict[str, str], named: str
) -> None:
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    with pytest.raises(ValidationError) as caught:
        model()
    assert named in settings_error_text(model, caught.value)


def test_sasl_scram_settings_produce_the_client_configuration() -> None:
    settings = KafkaSettings(
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-256",
        sasl_username="svc",
        sasl_password="s3cret",
    )
    options = aiokafka_options(settings)
    assert options["security_protocol"] == "SASL_PLAINTEXT"
    assert (
        options["sasl_mechanism"],
        options["sasl_plain_username"],
        options["sasl_plain_password"],
    ) == ("SCRAM-SHA-256", "svc", "s3cret")
    assert "ssl_context" not in options
    assert "s3cret" not in repr(settings)


def test_tls_settings_produce_an_ssl_context_with_the_ca(tmp_path: Path) -> None:
    import ssl
    import subprocess

    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=test-ca",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    settings = KafkaSettings(
        security_protocol="SSL", ssl_cafile=cert, ssl_certfile=cert, ssl_keyfile=key
    )
    options = aiokafka_options(settings)
    context = options["ssl_context"]
    assert isinstance(context, ssl.SSLContext)
    assert context.verify_mode == ssl.CERT_REQUIRED
    assert any(c.get("subject") == ((("commonName", "test-ca"),),) for c in context.get_ca_certs())


def _encrypted_key(tmp_path: Path, passphrase: str) -> tuple[Path, Path]:
    import subprocess

    key, cert = tmp_path / "enc-key.pem", tmp_path / "enc-cert.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-days",
            "1",
            "-subj",
            "/CN=svc",
            "-passout",
            f"pass:{passphrase}",
            "-keyout",
            str(key),
            "-out",
            str(cert),
        ],
        check=True,
        capture_output=True,
    )
    return key, cert


def test_an_encrypted_key_opens_with_its_passphrase_setting(tmp_path: Path) -> None:
    key, cert = _encrypted_key(tmp_path, "open-sesame")
    settings = KafkaSettings(
        security_protocol="SSL", ssl_certfile=cert, ssl_keyfile=key, ssl_password="open-sesame"
    )
    assert aiokafka_options(settings)["ssl_context"] is not None


def test_an_encrypted_key_without_its_passphrase_fails_at_once_instead_of_prompting(
    tmp_path: Path,
) -> None:
    import ssl

    key, cert = _encrypted_key(tmp_path, "open-sesame")
    settings = KafkaSettings(security_protocol="SSL", ssl_certfile=cert, ssl_keyfile=key)
    with pytest.raises(ssl.SSLError):
        aiokafka_options(settings)  # a prompt would hang here, reading the terminal


@pytest.mark.parametrize("protocol", ["PLAINTEXT", "SASL_PLAINTEXT"])
def test_tls_settings_with_a_protocol_without_tls_are_a_configuration_error(
    tmp_path: Path, protocol: str
) -> None:
    ca = tmp_path / "ca.pem"
    ca.write_text("x")
    with pytest.raises(ValidationError) as caught:
        KafkaSettings(
            security_protocol=protocol,
            ssl_cafile=ca,
            sasl_mechanism="PLAIN",
            sasl_username="u",
            sasl_password="p",
        )
    assert "KAFKA_SSL_CAFILE" in settings_error_text(KafkaSettings, caught.value)


def test_plaintext_needs_no_security() -> None:
    assert "ssl_context" not in aiokafka_options(KafkaSettings())


def test_configuration_errors_never_print_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KAFKA_SECURITY_PROTOCOL", "SASL_SSL")
    monkeypatch.setenv("KAFKA_SASL_USERNAME", "svc")
    monkeypatch.setenv("KAFKA_SASL_PASSWORD", "TopSecret-42")
    monkeypatch.setenv("KAFKA_SSL_CAFILE", "/nonexistent/ca.pem")
    with pytest.raises(ValidationError) as caught:
        KafkaSettings()
    text = settings_error_text(KafkaSettings, caught.value)
    assert "KAFKA_SASL_MECHANISM" in text
    assert "TopSecret-42" not in text
    assert "TopSecret-42" not in str(caught.value)


def test_a_topic_in_two_roles_is_refused_naming_both_variables() -> None:
    with pytest.raises(ValidationError) as refused:
        ServiceSettings(topic_x12="claims.submitted")
    assert settings_error_text(ServiceSettings, refused.value) == (
        "CLAIM_EDIT_TOPIC_X12: 'claims.submitted' is also CLAIM_EDIT_TOPIC_SUBMITTED"
    )
