"""Settings from the environment, prefix ROM_ (pydantic-settings)."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class ApiKey(BaseModel):
    """A client allowed on the API: its key is stored only as a SHA-256 hex digest."""

    name: str
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    scopes: list[str]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="ROM_", extra="ignore")

    var_dir: Path = Field(Path("var"), description="Where state (database, lab files) lives.")
    database_url: str = Field("", description="SQLAlchemy URL; empty means SQLite under var_dir.")
    api_url: str = Field("http://127.0.0.1:8080", description="Where the CLI finds `rom serve`.")
    kafka_bootstrap: str | None = Field(None, description="Unset: events stay in the outbox.")
    device_username: str = "admin"
    device_password: SecretStr = SecretStr("admin")
    api_key: SecretStr | None = Field(None, description="The key the CLI presents to `rom serve`.")
    api_keys: list[ApiKey] = Field(
        default_factory=list,
        description="JSON list of {name, sha256, scopes}; empty: the API is open (lab mode).",
    )
    device_timeout: float = 30.0
    confirm_timeout: int = Field(120, description="Seconds a device waits for confirmation.")
    workers: int = Field(20, description="Nornir worker threads per order.")
    order_threads: int = Field(4, description="Orders executed at once by one `rom serve`.")
    kpi_baselines: bool = Field(True, description="Check the specs' postChecks KPIs before confirming.")
    lease_seconds: float = Field(30.0, description="An order whose worker is silent this long is recovered.")

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.var_dir / 'rom.db'}"


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
