"""Settings of the wanzheng service and CLI, declared once.

Every setting is a field of :class:`Settings` with a default and a ``description``; the
environment prefix is ``WANZHENG_`` (``WANZHENG_DATABASE_URL`` …). Settings are built by
the caller (``Settings()`` in the CLI, passed to ``create_app(settings)``), never at import.
``tests/test_settings.py`` fails when a setting is missing from ``docs/settings.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from wanzheng.errors import ConfigError

__all__ = [
    "DUPLICATE_MIN_SIMILARITY",
    "DUPLICATE_RADIUS_M",
    "DUPLICATE_WINDOW_DAYS",
    "PLACEHOLDER_SECRET",
    "SECRET_MIN_CHARS",
    "Settings",
]

PLACEHOLDER_SECRET = "change-me"

SECRET_MIN_CHARS = 32
"""Shortest secret key accepted outside development (``secrets.token_urlsafe(32)`` gives 43)."""

# The duplicate search's defaults, one place for the service, the case desk's function and the
# docs (tests/test_settings.py checks docs/settings.md and the role guides against them).
DUPLICATE_RADIUS_M = 200.0
"""Duplicate candidates: largest distance from the case, metres."""
DUPLICATE_WINDOW_DAYS = 30.0
"""Duplicate candidates: largest time between the two reports, days."""
DUPLICATE_MIN_SIMILARITY = 0.2
"""Duplicate candidates: smallest text similarity (cosine, 0-1)."""

_PLACEHOLDERS = frozenset(
    {PLACEHOLDER_SECRET, "changeme", "change_me", "secret", "secret-key", "dev", "test", "none"}
)


class Settings(BaseSettings):
    """Configuration of one wanzheng installation."""

    model_config = SettingsConfigDict(env_prefix="WANZHENG_", extra="forbid")

    environment: Literal["development", "production"] = Field(
        "development",
        description="`production` refuses placeholder secrets and a missing admin password.",
    )
    data_dir: Path = Field(
        Path("var"),
        description="Directory for the embedded database, photos, outbox and audit outputs.",
    )
    database_url: str | None = Field(
        None,
        description="SQLAlchemy URL; empty means SQLite (WAL) at `<data_dir>/wanzheng.sqlite3`.",
    )
    secret_key: str = Field(
        PLACEHOLDER_SECRET,
        description="Server secret (the key of the service's HMACs); outside development it "
        f"must be a random string of at least {SECRET_MIN_CHARS} characters.",
    )
    host: str = Field("127.0.0.1", description="Address `wanzheng serve` listens on.")
    port: int = Field(8000, description="Port `wanzheng serve` listens on.")
    photo_dir: Path | None = Field(
        None, description="Photo store (content-addressed); default `<data_dir>/photos`."
    )
    photo_max_bytes: int = Field(5_000_000, description="Largest accepted photo upload, in bytes.")
    text_model_dir: Path | None = Field(
        None, description="Trained case classifier (`wanzheng text train`); none = keyword rules."
    )
    text_min_confidence: float = Field(
        0.5,
        description="A trained model's proposal below this confidence (0-1) is replaced by the "
        "keyword rules' proposal.",
    )
    duplicate_radius_m: float = Field(
        DUPLICATE_RADIUS_M,
        description="Duplicate candidates: largest distance from the case, in metres.",
    )
    duplicate_window_days: float = Field(
        DUPLICATE_WINDOW_DAYS,
        description="Duplicate candidates: largest time between the reports, in days.",
    )
    duplicate_min_similarity: float = Field(
        DUPLICATE_MIN_SIMILARITY,
        description="Duplicate candidates: smallest text similarity (cosine, 0-1).",
    )
    audit_dir: Path | None = Field(
        None, description="Audit output directory (`wanzheng audit --out`) the dashboard shows."
    )
    progress_dir: Path | None = Field(
        None,
        description="Programme progress directory (`wanzheng plan progress --out`) the "
        "programme page shows; empty: `<audit_dir>/progress`.",
    )

    token_ttl_hours: float = Field(
        12.0, description="Lifetime of a login token of the case desk API, in hours."
    )
    login_max_failures: int = Field(
        5,
        ge=1,
        description="Failed password checks of one account within `login_window_s` that lock "
        "the account for `login_lockout_s`.",
    )
    login_address_max_failures: int = Field(
        20,
        ge=1,
        description="Failed credential checks from one client address within `login_window_s` "
        "that lock the address out for `login_lockout_s`.",
    )
    login_window_s: float = Field(
        900.0, gt=0, description="Window in which failed credential checks are counted, in s."
    )
    login_lockout_s: float = Field(
        900.0, gt=0, description="How long a lockout lasts, in seconds (answered 429)."
    )
    otp_ttl_s: float = Field(
        600.0, gt=0, description="Lifetime of a one-time code sent to prove a phone, in seconds."
    )
    otp_max_attempts: int = Field(
        5, ge=1, description="Wrong tries that burn a one-time code (a new one must be sent)."
    )
    otp_max_sends: int = Field(
        3, ge=1, description="One-time codes sent to one phone within `otp_send_window_s`."
    )
    otp_send_window_s: float = Field(
        3600.0, gt=0, description="Window of `otp_max_sends`, in seconds."
    )
    sms_sender: str | None = Field(
        None,
        description="`package.module:function` making the SMS sender (called with the "
        "settings; returns an object with `send(message)`); none = write SMS to "
        "`<data_dir>/sms/outbox.jsonl`, refused outside development.",
    )
    case_text_max_chars: int = Field(
        2000, description="Longest accepted case description, in characters."
    )
    categories_file: Path | None = Field(
        None, description="Category tree seeding a new database; none = packaged defaults."
    )
    routing_file: Path | None = Field(
        None,
        description="Routing tables (areas, departments, communities, grids) seeding a new "
        "database; none = the packaged demo subdistrict.",
    )
    escalation_interval_s: float = Field(
        300.0,
        description="How often the service escalates (督办) overdue cases, in seconds; 0 = never "
        "(then run `wanzheng cases escalate` from cron).",
    )
    admin_password: str | None = Field(
        None,
        description="`wanzheng serve` creates user `admin` with this password when no "
        "administrator exists.",
    )
    proactive_rules_file: Path | None = Field(
        None, description="Proactive rule file (TOML); none = the packaged default rule set."
    )
    proactive_retention_days: int = Field(
        365,
        description="Days a service-register record is kept after its last import before "
        "`wanzheng proactive purge` deletes it.",
    )

    input_max_file_bytes: int = Field(
        100 * 1024 * 1024,
        description="Largest input table (CSV / XLSX: case imports, registers, ledgers, "
        "training files …), in bytes.",
    )
    input_max_cell_bytes: int = Field(
        128 * 1024, description="Largest cell of an input table, in bytes of UTF-8 text."
    )
    input_max_rows: int = Field(1_000_000, description="Most rows of an input table.")
    input_xlsx_max_uncompressed_bytes: int = Field(
        512 * 1024 * 1024,
        description="An XLSX input whose members declare more uncompressed bytes than this is "
        "refused before it is opened (zip bomb).",
    )
    input_xlsx_max_ratio: float = Field(
        100.0,
        description="An XLSX input with a member (of at least 1 MiB) compressed more than this "
        "many times is refused before it is opened (zip bomb).",
    )
    log_format: Literal["text", "json"] = Field(
        "text",
        description="Log lines of `wanzheng serve`: `text`, or `json` (one object per line).",
    )
    log_level: Literal["debug", "info", "warning", "error"] = Field(
        "warning",
        description="Lowest level logged by `wanzheng serve`; `info` adds one line per request.",
    )

    @model_validator(mode="after")
    def _refuse_placeholders(self) -> Settings:
        if self.environment == "development":
            return self
        key = self.secret_key.strip()
        if not key or key.lower() in _PLACEHOLDERS or len(set(key)) < 8:
            raise ConfigError(
                "WANZHENG_SECRET_KEY is empty or a placeholder; set a real random secret in "
                f"{self.environment} (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'`)"
            )
        if len(key) < SECRET_MIN_CHARS:
            raise ConfigError(
                f"WANZHENG_SECRET_KEY is {len(key)} characters; expected a random secret of at "
                f"least {SECRET_MIN_CHARS} in {self.environment}"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL, defaulting to the embedded SQLite file under ``data_dir``."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'wanzheng.sqlite3').resolve()}"

    @property
    def resolved_photo_dir(self) -> Path:
        """Directory of stored photos."""
        return self.photo_dir if self.photo_dir is not None else self.data_dir / "photos"
