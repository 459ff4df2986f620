"""Settings from the environment, prefix ROM_ (pydantic-settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from drivers.base import NetconfClientKind
from drivers.host_keys import HostKeyPolicy


class ApiKey(BaseModel):
    """A client allowed on the API: its key is stored only as a SHA-256 hex digest."""

    name: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    scopes: list[str]


class _FromEnv(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROM_", extra="ignore")


class StateSettings(_FromEnv):
    var_dir: Path = Field(Path("var"), description="Where state (database, lab files) lives.")


class DatabaseSettings(StateSettings):
    database_url: str = Field("", description="SQLAlchemy URL; empty means SQLite under var_dir.")
    db_upgrade: bool = Field(
        False, description="Upgrade a database behind this ROM's schema at start instead of refusing it."
    )

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'rom.db'}"


class DeviceSettings(StateSettings):
    """How ROM reaches devices: credentials, timeouts, SSH host keys, gNMI transport security."""

    device_username: str = "admin"
    device_password: SecretStr = SecretStr("admin")
    secrets_file: Path | None = Field(
        None, description="YAML {reference: {username, password, key_file}} for devices' credentials."
    )
    device_timeout: float = 30.0
    known_hosts: Path | None = Field(
        None, description="OpenSSH known_hosts for devices; unset: var_dir/known_hosts."
    )
    ssh_host_key_policy: HostKeyPolicy = Field(
        "strict",
        description="strict: refuse unknown keys; tofu: record them on first connect; off: no check.",
    )
    netconf_client: NetconfClientKind = Field(
        "rom",
        description="NETCONF client: rom (ROM's own, no thread per session) or ncclient (its Manager).",
    )
    gnmi_tls_ca: str | None = Field(
        None, description="CA file that signs devices' gNMI certificates; unset: plaintext."
    )
    gnmi_tls_cert: str | None = Field(None, description="Client certificate for gNMI mutual TLS.")
    gnmi_tls_key: str | None = Field(None, description="The client certificate's private key.")
    gnmi_tls_server_name: str | None = Field(
        None, description="Name checked in device certificates instead of the host."
    )

    @model_validator(mode="after")
    def _gnmi_tls_complete(self) -> DeviceSettings:
        if (self.gnmi_tls_cert is None) != (self.gnmi_tls_key is None):
            raise ValueError("ROM_GNMI_TLS_CERT and ROM_GNMI_TLS_KEY go together")
        if self.gnmi_tls_cert is not None and self.gnmi_tls_ca is None:
            raise ValueError(
                "ROM_GNMI_TLS_CERT needs ROM_GNMI_TLS_CA (the CA that signs the devices' certificates)"
            )
        return self

    @property
    def effective_known_hosts(self) -> Path:
        return self.known_hosts or self.var_dir / "known_hosts"


class KafkaSettings(_FromEnv):
    kafka_bootstrap: str | None = Field(None, description="Unset: events stay in the outbox.")


class ApiSecuritySettings(_FromEnv):
    """Who may call the API (keys, JWTs), and what the CLI presents to it."""

    api_url: str = Field("http://127.0.0.1:8080", description="Where the CLI finds `rom serve`.")
    api_key: SecretStr | None = Field(None, description="The key the CLI presents to `rom serve`.")
    api_keys: list[ApiKey] = Field(
        default_factory=list,
        description="JSON list of {name, sha256, scopes}; empty: the API is open (lab mode).",
    )
    max_body_bytes: int = Field(1 << 20, ge=1, description="Larger request bodies are refused (413).")
    jwt_issuer: str | None = Field(None, description="Set: bearer JWTs from this issuer are accepted.")
    jwt_audience: str | None = Field(None, description="The `aud` a JWT must carry (needed with an issuer).")
    jwt_jwks_url: str | None = Field(None, description="Where the issuer publishes its signing keys.")
    jwt_jwks_file: Path | None = Field(None, description="A local JWKS file instead of (or besides) the URL.")
    jwt_algorithms: list[str] = Field(["RS256", "ES256"], description="Signature algorithms accepted.")
    jwt_leeway: float = Field(30.0, ge=0, description="Seconds of clock skew allowed on exp/nbf/iat.")
    jwt_scope_map: dict[str, list[str]] = Field(
        default_factory=dict, description="JSON {token scope: [ROM scopes]} for IdPs with other names."
    )
    jwks_cache_seconds: float = Field(3600.0, gt=0, description="How long fetched signing keys are kept.")
    jwks_refresh_cooldown: float = Field(30.0, ge=0, description="Least seconds between key refetches.")

    @model_validator(mode="after")
    def _jwt_complete(self) -> ApiSecuritySettings:
        if not self.jwt_issuer:
            return self
        if not self.jwt_audience:
            raise ValueError("ROM_JWT_ISSUER needs ROM_JWT_AUDIENCE")
        if not (self.jwt_jwks_url or self.jwt_jwks_file):
            raise ValueError("ROM_JWT_ISSUER needs ROM_JWT_JWKS_URL or ROM_JWT_JWKS_FILE")
        weak = [a for a in self.jwt_algorithms if a[:2] not in ("RS", "PS", "ES", "Ed")]
        if weak or not self.jwt_algorithms:
            raise ValueError(f"ROM_JWT_ALGORITHMS takes public-key algorithms only, not {weak}")
        return self


class WorkerSettings(_FromEnv):
    """How orders run: parallelism, leases, confirmation, post-checks."""

    confirm_timeout: int = Field(120, description="Seconds a device waits for confirmation.")
    workers: int = Field(20, description="Nornir worker threads per order.")
    order_threads: int = Field(4, description="Orders executed at once by one `rom serve`.")
    kpi_baselines: bool = Field(True, description="Check the specs' postChecks KPIs before confirming.")
    yang_path: str = Field(
        "",
        description="Directories (os.pathsep-separated) holding the YANG modules of the platforms in "
        "intent.yang.platforms; set: every rendered payload is validated at intake, in a dry run and "
        "before stage (422); empty: off.",
    )
    reachability_checks: bool = Field(
        True, description="Probe the specs' postChecks reachability pairs (gNOI Ping) before confirming."
    )
    lease_seconds: float = Field(30.0, description="An order whose worker is silent this long is recovered.")


class CatalogSettings(_FromEnv):
    catalog_dir: Path | None = Field(
        None,
        description="Directory of resource specifications (<spec>/spec.yaml and its templates) served "
        "instead of the shipped templates/ (an operator's own specs); unset: templates/.",
    )

    @model_validator(mode="after")
    def _catalog_dir_exists(self) -> CatalogSettings:
        if self.catalog_dir is not None and not self.catalog_dir.is_dir():
            raise ValueError(f"ROM_CATALOG_DIR {self.catalog_dir} is not a directory")
        return self


class DriftSettings(_FromEnv):
    reconcile_interval: float = Field(300.0, ge=0, description="Seconds between reconciliations; 0: off.")


class Settings(
    DatabaseSettings,
    DeviceSettings,
    KafkaSettings,
    ApiSecuritySettings,
    WorkerSettings,
    DriftSettings,
    CatalogSettings,
):
    """Every domain's settings, composed once for a process (`ROM_*` environment variables)."""


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
