"""Settings come from MSHOP_* variables and unsafe ones are refused with a clear message."""

import pytest
from pydantic import SecretStr, ValidationError

from service.config import (
    AuthSettings,
    ConfigError,
    Settings,
    StorageBackend,
    StorageSettings,
    check_settings,
)
from service.main import create_app

STRONG = "s" * 40


def test_environment_is_read_with_nested_delimiter(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MSHOP_DATABASE__URL", "postgresql+psycopg://u@db/mshop")
    monkeypatch.setenv("MSHOP_STORAGE__BACKEND", "s3")
    monkeypatch.setenv("MSHOP_S3__ENDPOINT_URL", "http://127.0.0.1:9000")
    monkeypatch.setenv("MSHOP_S3__BUCKET", "evidence")
    monkeypatch.setenv("MSHOP_S3__ACCESS_KEY_ID", "key")
    monkeypatch.setenv("MSHOP_S3__SECRET_ACCESS_KEY", "hunter2-value")
    monkeypatch.setenv("MSHOP_S3__REGION", "kz-1")
    monkeypatch.setenv("MSHOP_AUTH__SECRET_KEY", STRONG)
    settings = Settings()
    assert settings.database.url == "postgresql+psycopg://u@db/mshop"
    assert settings.storage.backend is StorageBackend.s3
    assert settings.s3.bucket == "evidence"
    assert settings.s3.region == "kz-1"
    assert settings.s3.secret_access_key is not None
    assert settings.s3.secret_access_key.get_secret_value() == "hunter2-value"
    assert settings.auth.secret_key.get_secret_value() == STRONG
    assert "hunter2" not in repr(settings.s3)
    check_settings(settings)


def test_photo_job_settings_are_read_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    defaults = Settings().jobs
    assert (defaults.in_process, defaults.lease_seconds, defaults.max_attempts) == (True, 300, 5)
    monkeypatch.setenv("MSHOP_JOBS__IN_PROCESS", "false")
    monkeypatch.setenv("MSHOP_JOBS__POLL_SECONDS", "0.5")
    monkeypatch.setenv("MSHOP_JOBS__LEASE_SECONDS", "60")
    monkeypatch.setenv("MSHOP_JOBS__MAX_ATTEMPTS", "3")
    monkeypatch.setenv("MSHOP_JOBS__RETRY_SECONDS", "2")
    jobs = Settings().jobs
    assert (jobs.in_process, jobs.poll_seconds, jobs.lease_seconds) == (False, 0.5, 60)
    assert (jobs.max_attempts, jobs.retry_seconds) == (3, 2)


def test_defaults_are_embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("MSHOP_DATABASE__URL", "MSHOP_STORAGE__BACKEND"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.database.url == "sqlite:///./data/mshop.db"
    assert settings.storage.backend is StorageBackend.local
    assert str(settings.storage.local_dir) == "data/blobs"


@pytest.mark.parametrize("secret", ["", "change-me", "demo", "short-but-not-empty"])
def test_weak_secret_is_refused_outside_demo(secret: str) -> None:
    settings = Settings(auth=AuthSettings(secret_key=SecretStr(secret)))
    with pytest.raises(ConfigError, match="MSHOP_AUTH__SECRET_KEY"):
        check_settings(settings)
    with pytest.raises(ConfigError):
        create_app(settings)


def test_demo_mode_allows_a_weak_secret() -> None:
    check_settings(Settings(demo=True))


def test_s3_backend_needs_an_endpoint() -> None:
    settings = Settings(
        auth=AuthSettings(secret_key=SecretStr(STRONG)),
        storage=StorageSettings(backend=StorageBackend.s3),
    )
    with pytest.raises(ConfigError, match="MSHOP_S3__ENDPOINT_URL"):
        check_settings(settings)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("MSHOP_STORAGE__BACKEND", "ftp"),
        ("MSHOP_AUTH__ACCESS_TOKEN_MINUTES", "0"),
        ("MSHOP_LIMITS__MAX_PAGE_SIZE", "lots"),
        ("MSHOP_LIMITS__MAX_BODY_BYTES", "10"),
        ("MSHOP_LIMITS__ANSWER_VERSIONS_PER_ITEM", "0"),
        ("MSHOP_LIMITS__ANSWER_PAGE_SIZE", "0"),
        ("MSHOP_LIMITS__MAX_ANSWER_PAGE_SIZE", "100001"),
        ("MSHOP_JOBS__POLL_SECONDS", "0"),
        ("MSHOP_JOBS__LEASE_SECONDS", "1"),
        ("MSHOP_JOBS__MAX_ATTEMPTS", "0"),
        ("MSHOP_JOBS__RETRY_SECONDS", "-1"),
    ],
)
def test_invalid_values_are_refused(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValidationError) as err:
        Settings()
    assert name.removeprefix("MSHOP_").split("__")[0].lower() in str(err.value)
