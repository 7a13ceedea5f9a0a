"""One settings object, read from the environment (prefix CONGRESS_), validated at start-up."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

REPO_ROOT = Path(__file__).resolve().parents[1]


class Settings(BaseSettings):
    """Runtime settings; every field documents itself for `congress settings`."""

    model_config = SettingsConfigDict(env_prefix="CONGRESS_", extra="ignore")

    database_url: str = Field(
        "sqlite:///.congress/congress.db",
        description="SQLAlchemy URL of the durable state: SQLite file (default) or postgresql+psycopg://…",
    )
    output_dir: Path = Field(Path("output"), description="Folder under which each session's outputs are written")
    templates_dir: Path = Field(REPO_ROOT / "templates", description="Folder holding the Jinja2 templates")
    calendar_host: str = Field(
        "congress.local", description="Domain part of calendar UIDs; keep it stable once deputies subscribe"
    )

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite", "postgresql")):
            raise ValueError("database_url must be a sqlite:// or postgresql:// URL")
        return value


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """The process-wide settings (tests build their own Settings instead)."""
    return Settings()
