"""Configuration from the environment (PRODUCT §8).

`load_settings(environ)` takes any mapping, so tests pass a dict instead of patching
`os.environ`. Tokens are `SecretStr`: they print as '**********' and never reach logs.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationInfo, field_validator
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

DEFAULT_DATABASE_URL = "sqlite:///pmf.db"
DEFAULT_API_URL = "https://slack.com/api/"
# Bot Framework's public cloud; sovereign clouds (GCC High, DoD) and tests name their own.
DEFAULT_TEAMS_OPENID_METADATA_URL = (
    "https://login.botframework.com/v1/.well-known/openidconfiguration"
)
DEFAULT_TEAMS_LOGIN_URL = "https://login.microsoftonline.com"
MIN_AUDIT_KEY_LENGTH = 32


def split_keys(text: str) -> list[str]:
    """PMF_AUDIT_KEYS_OLD: keys separated by commas (or spaces or new lines)."""
    return [part for part in re.split(r"[,\s]+", text) if part]


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        frozen=True, populate_by_name=True, env_ignore_empty=True, extra="ignore"
    )

    slack_bot_token: SecretStr | None = Field(None, alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field(DEFAULT_API_URL, alias="SLACK_API_URL")
    database_url: str = Field(DEFAULT_DATABASE_URL, alias="PMF_DATABASE_URL")
    timezone: str = Field("Europe/London", alias="PMF_TIMEZONE")
    port: int = Field(3000, alias="PMF_PORT", ge=1, le=65535)
    # Signs the audit trail (HMAC-SHA256); kept outside the database. PMF_AUDIT_KEYS_OLD:
    # earlier keys, separated by commas, used only to verify the events they signed.
    audit_key: SecretStr | None = Field(None, alias="PMF_AUDIT_KEY")
    audit_keys_old: SecretStr | None = Field(None, alias="PMF_AUDIT_KEYS_OLD")
    # Microsoft Teams (PRODUCT §10): the bot's Microsoft app id, a GUID.
    teams_app_id: str | None = Field(None, alias="TEAMS_APP_ID")
    teams_app_password: SecretStr | None = Field(None, alias="TEAMS_APP_PASSWORD")
    teams_tenant_id: str | None = Field(None, alias="TEAMS_TENANT_ID")
    teams_openid_metadata_url: str = Field(
        DEFAULT_TEAMS_OPENID_METADATA_URL, alias="TEAMS_OPENID_METADATA_URL"
    )
    teams_login_url: str = Field(DEFAULT_TEAMS_LOGIN_URL, alias="TEAMS_LOGIN_URL")
    teams_port: int = Field(3978, alias="PMF_TEAMS_PORT", ge=1, le=65535)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"'{value}' is not a time zone name such as Europe/London") from None
        return value

    @field_validator("audit_key", "audit_keys_old")
    @classmethod
    def _long_enough(cls, value: SecretStr | None, info: ValidationInfo) -> SecretStr | None:
        if value is None:
            return None
        text = value.get_secret_value()
        keys = [text.strip()] if info.field_name == "audit_key" else split_keys(text)
        for key in keys:
            if len(key) < MIN_AUDIT_KEY_LENGTH:
                raise ValueError(
                    f"an audit key must be at least {MIN_AUDIT_KEY_LENGTH} characters long; "
                    "make one with: python3 -c 'import secrets; print(secrets.token_hex(32))'"
                )
        return value

    @property
    def audit_key_text(self) -> str | None:
        return self.audit_key.get_secret_value().strip() if self.audit_key else None

    @property
    def old_audit_keys(self) -> list[str]:
        return split_keys(self.audit_keys_old.get_secret_value()) if self.audit_keys_old else []

    @field_validator("slack_api_url")
    @classmethod
    def _trailing_slash(cls, value: str) -> str:
        return value if value.endswith("/") else value + "/"

    @field_validator("teams_login_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


_NAMES = {field.alias for field in Settings.model_fields.values() if field.alias}


class _GivenSettings(Settings):
    """Settings read only from the mapping passed in, never from the process environment."""

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Settings from the process environment, or only from `environ` when one is given.

    Blank values count as unset; a test's settings never pick up the machine's own variables.
    """
    if environ is None:
        return Settings()
    given: dict[str, Any] = {
        name: value for name, value in environ.items() if name in _NAMES and value.strip()
    }
    return _GivenSettings(**given)
