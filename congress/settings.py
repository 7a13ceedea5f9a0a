"""One settings object, read from the environment (prefix CONGRESS_), validated at start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SECRETS = {"", "changethis", "secret", "changeme"}


class Settings(BaseSettings):
    """Runtime settings; every field documents itself for `congress settings`."""

    model_config = SettingsConfigDict(env_prefix="CONGRESS_", extra="ignore")

    database_url: str = Field(
        "sqlite:///.congress/congress.db",
        description="SQLAlchemy URL of the durable state: SQLite file (default) or postgresql+psycopg://…",
    )
    output_dir: Path = Field(Path("output"), description="Folder under which each session's outputs are written")
    document_store: Literal["files", "database"] = Field(
        "files",
        description="Where documents are kept: files (under CONGRESS_OUTPUT_DIR, one machine) or database "
        "(the app database, shared by every worker and dashboard machine; docs/deploy.md)",
    )
    templates_dir: Path = Field(REPO_ROOT / "templates", description="Folder holding the Jinja2 templates")
    calendar_host: str = Field(
        "congress.local", description="Domain part of calendar UIDs; keep it stable once deputies subscribe"
    )

    environment: str = Field(
        "development",
        description="development | production; outside development the secret key must be set and cookies are Secure",
    )
    secret_key: str = Field(
        "changethis", description="Secret for the dashboard's CSRF tokens; required (32+ characters) outside development"
    )
    session_hours: float = Field(8.0, description="Hours a dashboard log-in lasts before it expires", gt=0)
    upload_dir: Path = Field(
        Path(".congress/uploads"), description="Where files and forms entered in the dashboard are kept, as entered"
    )

    render_pdf: Literal["auto", "on", "off"] = Field(
        "auto",
        description="PDF beside every .docx via LibreOffice headless: on, off, or auto (on when soffice is on PATH)",
    )

    feed_base_url: str = Field(
        "http://127.0.0.1:8000",
        description="Public address of the web process, as deputies' phones reach it; feed URLs start with it",
    )
    deputy_base_url: str | None = Field(
        None,
        description="Public address the deputies' personal links (/d/…, the QR code on each 会议通知) start with; "
        "unset: CONGRESS_FEED_BASE_URL",
    )
    caldav_url: str | None = Field(
        None, description="CalDAV server of the township (e.g. https://cal.example.gov.cn/); unset: publish to files",
    )
    caldav_user: str = Field("", description="Account on the CalDAV server that owns the deputies' calendars")
    caldav_password: SecretStr = Field(SecretStr(""), description="Password of that account")
    publish_dir: Path = Field(
        Path("output/caldav"), description="Folder the file publisher writes to when no CalDAV server is set",
    )

    template_overrides_dir: Path = Field(
        Path(".congress/template-overrides"),
        description="Root of the townships' template override folders; an administrator picks one folder under it "
        "per township (congress townships templates, or the admin page)",
    )
    log_dir: Path = Field(
        Path(".congress/logs"), description="Where commands and the dashboard write unexpected errors (tracebacks)",
    )
    prefect_start_timeout: float = Field(
        180.0, gt=0,
        description="Seconds a command waits for the local Prefect server it starts (a slow or busy machine needs more)",
    )
    run_wait_seconds: float = Field(
        0.0, ge=0,
        description="Seconds a run waits for another run of the same session to finish before giving up (0: at once)",
    )
    tls_certfile: Path | None = Field(None, description="TLS certificate (PEM) for `congress serve` to speak HTTPS itself")
    tls_keyfile: Path | None = Field(None, description="Its private key (PEM)")
    behind_https_proxy: bool = Field(
        False, description="The dashboard is reached only through an HTTPS reverse proxy (which terminates TLS)",
    )

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        return value

    @field_validator("feed_base_url", "deputy_base_url", "caldav_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value

    @model_validator(mode="after")
    def _caldav_account_given(self) -> Settings:
        if self.caldav_url and not self.caldav_user:
            raise ValueError("CONGRESS_CALDAV_USER is required when CONGRESS_CALDAV_URL is set")
        return self

    @field_validator("environment")
    @classmethod
    def _known_environment(cls, value: str) -> str:
        if value not in ("development", "production"):
            raise ValueError("environment must be development or production")
        return value

    @model_validator(mode="after")
    def _no_default_secret_outside_development(self) -> Settings:
        if self.environment != "development" and (self.secret_key in DEFAULT_SECRETS or len(self.secret_key) < 32):
            raise ValueError(
                "CONGRESS_SECRET_KEY must be set to a random value of 32+ characters outside development "
                "(e.g. python -c 'import secrets; print(secrets.token_urlsafe(32))')"
            )
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own Settings instead)."""
    return Settings()
