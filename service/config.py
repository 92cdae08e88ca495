"""Settings from environment variables (and an optional .env). Names are binding (docs/contract.md).

A wrong setting fails at start with a message naming the variable (`settings_error_text`).
"""

from pathlib import Path
from typing import Literal

import psycopg
from psycopg.conninfo import conninfo_to_dict
from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

_COMMON = {"env_file": ".env", "extra": "ignore", "frozen": True}


MIN_MEMORY_SECRET = 16


class MemorySettings(BaseSettings):
    """Where the claim memory is (CLAIM_EDIT_MEMORY_*); `claim-edit memory` reads only these."""

    model_config = SettingsConfigDict(env_prefix="CLAIM_EDIT_", **_COMMON)  # type: ignore[typeddict-item]

    memory_url: SecretStr | None = Field(
        default=None,
        description="PostgreSQL URL of the claim memory (postgresql://user:password@host/db); "
        "unset: no memory, and the edits that read a patient's other claims say so",
    )
    memory_secret: SecretStr | None = Field(
        default=None,
        description="key of the HMAC-SHA256 that stores a patient (payer and member id) as a "
        "hash; required with CLAIM_EDIT_MEMORY_URL; changing it forgets every patient",
    )
    memory_retention_days: int = Field(
        default=400,
        ge=1,
        description="claims whose latest date of service is older are not read, and "
        "`claim-edit memory purge` deletes them",
    )

    @field_validator("memory_url")
    @classmethod
    def _a_postgresql_url(cls, value: SecretStr | None) -> SecretStr | None:
        """Checked here, once, so a malformed URL is one line that never shows it (it may
        hold a password); an empty value is no memory."""
        if value is None or not value.get_secret_value():
            return None
        text = value.get_secret_value()
        hidden = "(the value is not shown: it may hold a password)"
        if not text.startswith(("postgresql://", "postgres://")):
            raise ValueError(f"not a postgresql:// URL {hidden}")
        try:
            conninfo_to_dict(text)
        except psycopg.Error:
            raise ValueError(f"not a valid PostgreSQL URL {hidden}") from None
        return value

    @field_validator("memory_secret")
    @classmethod
    def _long_enough(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_MEMORY_SECRET:
            raise ValueError(
                f"at least {MIN_MEMORY_SECRET} characters: a short key lets the patient hash "
                "be guessed from the small space of member ids"
            )
        return value


class EngineSettings(MemorySettings):
    """What the edit engine needs: policy and reference data locations, input limits, and
    the claim memory (which then needs its secret)."""

    model_config = SettingsConfigDict(env_prefix="CLAIM_EDIT_", **_COMMON)  # type: ignore[typeddict-item]

    policy_file: Path | None = Field(default=None, description="policy TOML; unset: defaults")
    reference_dir: Path | None = Field(
        default=None, description="directory of official CMS NCCI PTP/MUE files"
    )
    accept_partial_reference: bool = Field(
        default=False,
        description="load an official release that lacks rows for codes a shipped table has "
        "(an excerpt): the shipped rows stay in force for those codes, and a warning says "
        "which; unset: such a release stops start-up",
    )
    max_event_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024, description="larger: dead letter"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        default="INFO", description="the least severe log record written (JSON lines on stderr)"
    )

    @model_validator(mode="after")
    def _memory_secret(self) -> "EngineSettings":
        if self.memory_url is not None and not (
            self.memory_secret and self.memory_secret.get_secret_value()
        ):
            raise ValueError("memory_secret: required when memory_url is set")
        return self

    @model_validator(mode="after")
    def _files_exist(self) -> "EngineSettings":
        if self.policy_file is not None and not self.policy_file.is_file():
            raise ValueError(f"policy_file: no such file: {self.policy_file}")
        if self.reference_dir is not None and not self.reference_dir.is_dir():
            raise ValueError(f"reference_dir: no such directory: {self.reference_dir}")
        return self


class KafkaSettings(BaseSettings):
    """How to reach the brokers (KAFKA_*)."""

    model_config = SettingsConfigDict(env_prefix="KAFKA_", **_COMMON)  # type: ignore[typeddict-item]

    bootstrap_servers: str = Field(
        default="127.0.0.1:9092", description="brokers to start from, host:port[,host:port...]"
    )
    security_protocol: Literal["PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL"] = Field(
        default="PLAINTEXT",
        description="how clients talk to the brokers: SSL is TLS, SASL_* authenticates with "
        "KAFKA_SASL_* (SASL_SSL over TLS)",
    )
    sasl_mechanism: Literal["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"] | None = Field(
        default=None, description="SASL mechanism; required with SASL_*"
    )
    sasl_username: str | None = Field(default=None, description="SASL user; required with SASL_*")
    sasl_password: SecretStr | None = Field(
        default=None, description="SASL password; required with SASL_*; never logged"
    )
    ssl_cafile: Path | None = Field(
        default=None,
        description="PEM file of the CAs that sign the brokers' certificates; unset: the "
        "system's trust store",
    )
    ssl_certfile: Path | None = Field(
        default=None, description="PEM client certificate (mutual TLS); needs KAFKA_SSL_KEYFILE"
    )
    ssl_keyfile: Path | None = Field(
        default=None, description="PEM private key of KAFKA_SSL_CERTFILE"
    )
    ssl_password: SecretStr | None = Field(
        default=None, description="passphrase of KAFKA_SSL_KEYFILE; never prompted for"
    )

    @model_validator(mode="after")
    def _consistent(self) -> "KafkaSettings":
        if self.security_protocol.startswith("SASL_"):
            missing = [
                name
                for name, value in (
                    ("sasl_mechanism", self.sasl_mechanism),
                    ("sasl_username", self.sasl_username),
                    ("sasl_password", self.sasl_password),
                )
                if value is None
            ]
            if missing:
                raise ValueError(f"{missing[0]}: required when security_protocol is SASL_*")
        tls = ("ssl_cafile", "ssl_certfile", "ssl_keyfile", "ssl_password")
        if not self.security_protocol.endswith("SSL"):
            given = [name for name in tls if getattr(self, name) is not None]
            if given:
                raise ValueError(
                    f"{given[0]}: set, but security_protocol {self.security_protocol} does not "
                    "use TLS (choose SSL or SASL_SSL, or unset it)"
                )
        for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile"):
            path = getattr(self, name)
            if path is not None and not Path(path).is_file():
                raise ValueError(f"{name}: no such file: {path}")
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError("ssl_certfile: a client certificate needs ssl_keyfile too")
        return self


class ServiceSettings(BaseSettings):
    """The service itself (CLAIM_EDIT_*)."""

    model_config = SettingsConfigDict(env_prefix="CLAIM_EDIT_", **_COMMON)  # type: ignore[typeddict-item]

    topic_submitted: str = Field(
        default="claims.submitted", description="input: ClaimSubmitted events (JSON)"
    )
    topic_enriched: str = Field(
        default="claims.enriched",
        description="output: claims accepted, with corrections and prices",
    )
    topic_rejected: str = Field(
        default="claims.rejected", description="output: claims rejected, with findings and fixes"
    )
    topic_dlq: str = Field(
        default="claims.dlq",
        description="output: dead letters, input that could not be edited (invalid, too large)",
    )
    topic_x12: str | None = Field(
        default=None,
        description="raw X12 837 interchanges to edit beside the JSON claims; unset: none",
    )
    topic_277ca: str = Field(
        default="claims.277ca",
        description="the 277CA (or 999) answering each interchange read from CLAIM_EDIT_TOPIC_X12",
    )
    topic_277ca_max_bytes: int = Field(
        default=1_000_000,
        ge=64 * 1024,
        description="a 277CA larger than this is split into parts, each a whole interchange "
        "of at most this many bytes: keep it below the 277CA topic's max.message.bytes "
        "(Kafka's default: 1 MiB) less room for key and headers",
    )
    group_id: str = Field(
        default="claim-edit",
        description="consumer group of the instances sharing the input; outputs' ce_source "
        "is urn:claim-edit:<group_id>",
    )
    client_id: str = Field(
        default="claim-edit", description="Kafka client id (broker logs and quotas)"
    )
    processing_guarantee: Literal["at_least_once", "exactly_once"] = Field(
        default="at_least_once",
        description="exactly_once: outputs and input offsets in one Kafka transaction; "
        "at_least_once: a crash may publish an outcome twice",
    )
    http_host: str = Field(
        default="0.0.0.0", description="address of the health and metrics endpoint"
    )
    http_port: int = Field(
        default=8080,
        ge=0,
        le=65535,
        description="port of /health/live, /health/ready and /metrics; 0: any free port",
    )
    batch_max_records: int = Field(
        default=500, ge=1, le=10_000, description="records fetched and edited per batch at most"
    )
    batch_timeout_ms: int = Field(
        default=5,
        ge=1,
        le=1000,
        description="fetch wait; FastStream also sleeps this long after an empty fetch, so it "
        "bounds the latency added at low load",
    )
    linger_ms: int = Field(
        default=0,
        ge=0,
        le=1000,
        description="producer linger; a batch's outputs are sent together anyway, so waiting "
        "adds latency (measured: 5 ms of linger moved p50 at 300 claims/s from 19 to 40 ms)",
    )
    producer_batch_bytes: int = Field(
        default=256 * 1024,
        ge=1024,
        le=1024 * 1024,
        description="aiokafka max_batch_size; outputs are ~4.6 KB, so aiokafka's 16 KiB default "
        "packs 3 to a batch (measured: ~1,300 vs ~1,750 claims/s with 256 KiB)",
    )
    batch_max_seconds: float = Field(
        default=0.5,
        gt=0,
        le=60,
        description="a fetched batch is edited and committed in slices of at most this long, "
        "so a batch of large claims neither holds offsets back nor starves heartbeats",
    )
    retry_backoff_max_seconds: float = Field(
        default=30.0,
        gt=0,
        description="longest wait between attempts to publish or to reach the brokers "
        "(exponential backoff with jitter)",
    )
    publish_timeout_seconds: float = Field(
        default=30.0, gt=0, description="an output not acknowledged by then is sent again"
    )
    unready_after_seconds: float = Field(
        default=5.0,
        ge=0,
        description="/health/ready turns 503 once publishing has failed for this long",
    )
    session_timeout_ms: int = Field(
        default=45_000,
        ge=6_000,
        le=300_000,
        description="consumer group session (Kafka's default): how soon a dead instance's "
        "partitions move; heartbeats go on while a slice is edited",
    )
    metadata_max_age_ms: int = Field(
        default=10_000,
        ge=1_000,
        le=300_000,
        description="how often the consumer refreshes topic metadata: partitions added to an "
        "input topic, or a topic deleted and created again, are picked up within this time "
        "(aiokafka's default is 5 minutes)",
    )
    otlp_endpoint: str | None = Field(
        default=None,
        description="OTLP/HTTP traces endpoint (e.g. http://collector:4318/v1/traces); unset: "
        "tracing off. Needs the `tracing` extra",
    )
    instance_id: str | None = Field(
        default=None,
        min_length=1,
        description="stable per instance: exactly-once uses <group_id>-<instance_id> as the "
        "transactional id, so a restarted instance fences its zombie. Unset: <host name>-<n>, "
        "n the lowest slot no live process on this host holds (a lock file), so instances "
        "sharing a host never fence each other",
    )

    @model_validator(mode="after")
    def _topics_apart(self) -> "ServiceSettings":
        """One topic, one role: an X12 topic that is also the JSON input, or an output read
        back as input, would edit records as what they are not (or loop)."""
        roles = {
            "topic_submitted": self.topic_submitted,
            "topic_enriched": self.topic_enriched,
            "topic_rejected": self.topic_rejected,
            "topic_dlq": self.topic_dlq,
            "topic_277ca": self.topic_277ca,
            **({"topic_x12": self.topic_x12} if self.topic_x12 else {}),
        }
        seen: dict[str, str] = {}
        for role, topic in roles.items():
            if topic in seen:
                raise ValueError(f"{role}: {topic!r} is also CLAIM_EDIT_{seen[topic].upper()}")
            seen[topic] = role
        return self

    def transactional_id(self, instance_id: str) -> str:
        return f"{self.group_id}-{instance_id}"


class ApiSettings(BaseSettings):
    """`claim-edit api`, the HTTP service (CLAIM_EDIT_API_*); its body limit is the engine's
    CLAIM_EDIT_MAX_EVENT_BYTES."""

    model_config = SettingsConfigDict(env_prefix="CLAIM_EDIT_API_", **_COMMON)  # type: ignore[typeddict-item]

    host: str = Field(
        default="127.0.0.1",
        description="address to bind; loopback unless told otherwise (0.0.0.0: every interface)",
    )
    port: int = Field(default=8000, ge=0, le=65535, description="TCP port to listen on")
    tokens: SecretStr | None = Field(
        default=None,
        description="bearer tokens, comma-separated (each at least 16 characters); with "
        "CLAIM_EDIT_API_TOKENS_FILE, both are accepted",
    )
    tokens_file: Path | None = Field(
        default=None, description="a file of bearer tokens, one a line (blank lines, # comments)"
    )
    rate_limit: str = Field(
        default="600/minute",
        description="requests per token (the `limits` notation: 600/minute, 20/second; "
        "several separated by ';')",
    )
    ssl_certfile: Path | None = Field(default=None, description="TLS certificate (PEM)")
    ssl_keyfile: Path | None = Field(default=None, description="TLS private key (PEM)")
    rejections_window_minutes: float = Field(
        default=60.0, gt=0, le=7 * 24 * 60, description="the rejections page's default window"
    )

    @model_validator(mode="after")
    def _consistent(self) -> "ApiSettings":
        for name in ("tokens_file", "ssl_certfile", "ssl_keyfile"):
            path = getattr(self, name)
            if path is not None and not Path(path).is_file():
                raise ValueError(f"{name}: no such file: {path}")
        if (self.ssl_certfile is None) != (self.ssl_keyfile is None):
            raise ValueError("ssl_certfile: TLS needs both ssl_certfile and ssl_keyfile")
        from limits import parse_many

        try:
            parse_many(self.rate_limit)
        except ValueError as error:
            raise ValueError(f"rate_limit: {error}") from error
        return self

    def bearer_tokens(self) -> tuple[str, ...]:
        """Every accepted token; a short one is refused (a guessable secret is no secret)."""
        found: list[str] = []
        if self.tokens is not None:
            found.extend(t.strip() for t in self.tokens.get_secret_value().split(","))
        if self.tokens_file is not None:
            for line in self.tokens_file.read_text().splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    found.append(line.strip())
        found = [t for t in found if t]
        short = sum(len(t) < MIN_TOKEN_LENGTH for t in found)
        if short:
            raise ValueError(
                f"{short} API token(s) shorter than {MIN_TOKEN_LENGTH} characters "
                "(CLAIM_EDIT_API_TOKENS / CLAIM_EDIT_API_TOKENS_FILE)"
            )
        return tuple(dict.fromkeys(found))


MIN_TOKEN_LENGTH = 16


ENV_PREFIXES: dict[type[BaseSettings], str] = {
    MemorySettings: "CLAIM_EDIT_",
    EngineSettings: "CLAIM_EDIT_",
    KafkaSettings: "KAFKA_",
    ServiceSettings: "CLAIM_EDIT_",
    ApiSettings: "CLAIM_EDIT_API_",
}


def settings_error_text(model: type[BaseSettings], error: ValidationError) -> str:
    """One line per problem, each naming the environment variable."""
    prefix = ENV_PREFIXES.get(model, "")
    problems = []
    for item in error.errors(include_url=False, include_input=False):
        field = str(item["loc"][0]) if item["loc"] else ""
        message = item["msg"].removeprefix("Value error, ")
        if not field and ":" in message:
            field, message = (part.strip() for part in message.split(":", 1))
        problems.append(f"{prefix}{field.upper()}: {message}")
    return "; ".join(problems)


def env_variable_names(*models: type[BaseSettings]) -> set[str]:
    """Every environment variable the given settings models read (default: all of them,
    `serve`'s and `api`'s; compose files are checked against it)."""
    return {
        ENV_PREFIXES[model] + name.upper()
        for model in (models or tuple(ENV_PREFIXES))
        for name in model.model_fields
    }
