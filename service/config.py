"""One settings object, read from ``MSHOP_*`` environment variables."""

import ipaddress
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import BaseModel, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from service.observability.logs import LogFormat

PROJECT_ROOT = Path(__file__).resolve().parent.parent

# Secrets that must never guard a real deployment.
WEAK_SECRETS = frozenset({"", "change-me", "changeme", "secret", "demo"})
MIN_SECRET_LENGTH = 32


class StorageBackend(StrEnum):
    local = "local"
    s3 = "s3"


class DatabaseSettings(BaseModel):
    url: str = "sqlite:///./data/mshop.db"
    echo: bool = False
    # Per API process; keep workers x (pool_size + max_overflow) under PostgreSQL's limit.
    pool_size: int = Field(default=10, ge=1, le=100)
    max_overflow: int = Field(default=10, ge=0, le=100)
    # Past either wait a request answers 503 with Retry-After (never 500): a phone retries.
    pool_timeout_seconds: float = Field(default=10, gt=0, le=300)
    # The longest wait for the write lock (SQLite) or a row lock (PostgreSQL's lock_timeout).
    lock_timeout_seconds: float = Field(default=5, gt=0, le=300)
    # PostgreSQL: a pooled connection idle this long is pinged before use; a busier one is
    # only checked for the server's goodbye on its socket (service/db_liveness.py). 0: always.
    ping_idle_seconds: float = Field(default=10, ge=0, le=3600)
    migrate_on_start: bool = True


class StorageSettings(BaseModel):
    backend: StorageBackend = StorageBackend.local
    local_dir: Path = Path("./data/blobs")


class S3Settings(BaseModel):
    endpoint_url: str | None = None
    # The address phones use for presigned URLs when it differs from the server's own.
    public_endpoint_url: str | None = None
    bucket: str = "mshop"
    access_key_id: SecretStr | None = None
    secret_access_key: SecretStr | None = None
    region: str = "us-east-1"
    create_bucket: bool = True
    # Deadlines: a hung store must cost a request seconds, not minutes (it was 30 s x 3
    # attempts per call, 245 s for one upload). Per attempt: connect and each socket read.
    connect_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    read_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    max_attempts: int = Field(default=2, ge=1, le=10)
    # Whole-call budgets, retries included; past them the caller gets a 503 with Retry-After.
    # An upload of the largest photo (15 MB) needs 1.5 MB/s to fit 10 s: raise it for a store
    # across a slow link.
    operation_timeout_seconds: float = Field(default=5.0, gt=0, le=600)
    upload_timeout_seconds: float = Field(default=10.0, gt=0, le=3600)
    readiness_timeout_seconds: float = Field(default=2.0, gt=0, le=60)
    # After a call ran out of time, further calls fail at once for this long instead of each
    # waiting out its own budget; /readyz keeps probing and closes the gap when it answers.
    cooldown_seconds: float = Field(default=5.0, ge=0, le=600)
    # Photos stored while their bytes still arrive (each holds a thread and a connection to the
    # store for as long as its phone sends); past these, a photo is received, then stored.
    # 0: none (see service.storage.streaming).
    stream_uploads: int = Field(default=16, ge=0, le=256)


class AuthSettings(BaseModel):
    secret_key: SecretStr = SecretStr("")
    access_token_minutes: int = Field(default=30, ge=1, le=24 * 60)
    refresh_token_days: int = Field(default=30, ge=1, le=365)
    # A phone that lost the answer to a refresh sends its token again: within this many
    # seconds of the exchange it gets the same answer, later it is reuse (0: always reuse).
    refresh_retry_seconds: int = Field(default=30, ge=0, le=300)
    login_max_failures: int = Field(default=5, ge=1, le=1000)
    # Shoppers of one office may share a NAT address, so the address limit is wider.
    login_max_failures_per_address: int = Field(default=30, ge=1, le=100_000)
    login_window_seconds: int = Field(default=900, ge=1)
    # Length is the rule that matters (NIST SP 800-63B); 8 is the floor a deployment may raise.
    password_min_length: int = Field(default=8, ge=8, le=128)


class LimitSettings(BaseModel):
    max_body_bytes: int = Field(default=1_048_576, ge=1024)
    max_page_size: int = Field(default=200, ge=1, le=10_000)
    max_batch_answers: int = Field(default=500, ge=1, le=100_000)
    # Versions of one item's answer kept, the current one included: a phone re-answering in a
    # loop once stored 20,000 versions of 900 characters in 9 s. Older ones are deleted at the
    # sync that passes the cap; only their count and client ids (a retry stays a no-op) remain.
    answer_versions_per_item: int = Field(default=20, ge=1, le=10_000)
    # Answers in a page of GET /visits/{id}/answers when the client asks for none, and at most.
    # 200 holds every current answer of the largest shipped checklist (130 items) in one page.
    answer_page_size: int = Field(default=200, ge=1, le=10_000)
    max_answer_page_size: int = Field(default=500, ge=1, le=10_000)
    max_bulk_rows: int = Field(default=5000, ge=1, le=1_000_000)
    max_bulk_cell_bytes: int = Field(default=8192, ge=256, le=131_072)  # csv reads ≤128 KiB
    # A bulk assignment writes this many rows per transaction: each holds SQLite's write lock
    # for a few milliseconds, and logins and syncs get it between batches.
    bulk_batch_rows: int = Field(default=200, ge=1, le=100_000)
    # A phone clock further off than this is flagged on the visit for the reviewer.
    clock_skew_warn_seconds: int = Field(default=300, ge=1)
    # Values (scalars, lists, mappings) in one checklist sent to POST /checklists; the largest
    # shipped template has ~2,500. YAML anchors and aliases are refused whatever this says.
    max_checklist_nodes: int = Field(default=50_000, ge=100, le=10_000_000)


class UploadSettings(BaseModel):
    max_bytes: int = Field(default=15 * 1024 * 1024, ge=1024)
    # Photo bytes a process holds in memory while receiving and storing them (a phone's 3 MB
    # photo is received, hashed and stored without touching the disk); an upload that does not
    # fit, or does not declare its length, goes to a temporary file. 0 keeps none in memory.
    memory_bytes: int = Field(default=32 * 1024 * 1024, ge=0, le=4 * 1024**3)
    # 48 MP phones (8000x6000) exist; 50 MP takes them with margin and refuses the rarer full
    # 108-200 MP modes, whose files a phone can resend binned. The ceiling stays under Pillow's
    # own bomb fence (MAX_IMAGE_PIXELS, ~89 MP), so its check never fires first.
    max_pixels: int = Field(default=50_000_000, ge=10_000, le=89_000_000)
    # Phone JPEGs carry 2-20 pixels a byte; even a flat grey JPEG stays near 200. A 1-bit
    # PNG bomb carries thousands (40 MP in 5-19 KB), so 1000 refuses bombs with a wide margin.
    max_pixels_per_byte: int = Field(default=1000, ge=10)
    # Pixels decoded at once per process, waited for (~10-15 bytes a pixel while decoding, so
    # 100 MP is about 1-1.5 GB at worst): two 50 MP PNGs, or dozens of JPEGs decoded at display
    # size. An image over the whole budget still runs, alone.
    decode_budget_megapixels: int = Field(default=100, ge=1, le=100_000)
    # A decode waiting longer than this for budget answers 503 with Retry-After.
    decode_wait_seconds: float = Field(default=30, ge=0, le=600)
    thumb_px: int = Field(default=320, ge=16, le=4096)
    display_px: int = Field(default=1600, ge=64, le=8192)
    presign_seconds: int = Field(default=900, ge=10, le=7 * 24 * 3600)
    # Direct-upload tickets one request may ask for (each a row and a signed URL).
    max_tickets_per_request: int = Field(default=20, ge=1, le=500)
    # Direct uploads not completed within this time are removed by the clean-up job.
    pending_ttl_seconds: int = Field(default=3600, ge=60)
    gps_radius_m: float = Field(default=500, gt=0)
    time_tolerance_minutes: int = Field(default=60, ge=1)
    phash_distance: int = Field(default=4, ge=0, le=16)
    # Decoding a large photo takes ~10 bytes a pixel; this many at once bounds peak memory.
    max_concurrent_processing: int = Field(default=4, ge=1, le=256)


class JobSettings(BaseModel):
    """Photo jobs: decoding, stripped copies and flags, after the upload has been answered."""

    # Run a job runner thread inside each server process (the embedded default). Off when
    # `mshop worker` processes do the work (production) or tests drive the queue themselves.
    in_process: bool = True
    # How long an idle runner waits before looking for jobs again.
    poll_seconds: float = Field(default=1.0, gt=0, le=300)
    # A claimed job is the worker's for this long; past it (the worker died) another takes it.
    # Longer than the slowest decode plus three store calls at their deadline.
    lease_seconds: int = Field(default=300, ge=5, le=24 * 3600)
    # A job failing this many times (the store down, a bug) rejects its photo
    # (`processing-failed`) instead of retrying for ever.
    max_attempts: int = Field(default=5, ge=1, le=100)
    # The wait before a failed job is tried again, doubled at each attempt.
    retry_seconds: float = Field(default=5, ge=0, le=3600)
    # The runner's CPU priority (Linux nice, 0-19, per thread). Decoding a 3 MB photo costs
    # ~0.2 s of CPU, so a wave's photos can take more CPU than the machine has: at 10 the
    # requests run first and the queue catches up in the pauses (bench/wave.py). 0 leaves it.
    nice: int = Field(default=10, ge=0, le=19)
    # `mshop worker` touches this file after every round that reached the database (one job,
    # or none due), so a container's health check can read its age (docker/compose.yaml); a
    # worker that keeps failing, or hangs, lets it age. Unset: no file.
    heartbeat_file: Path | None = None
    # `mshop worker` serves its own metrics (photo jobs by outcome) at /metrics on this port
    # when set: the API's /metrics counts only what the API's processes did. Loopback unless
    # told otherwise (a container's network: 0.0.0.0).
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"


class ReportSettings(BaseModel):
    # Charts kept per API process (reports/cache.py), each a PNG of 30-150 KB; 0 keeps none.
    chart_cache_entries: int = Field(default=64, ge=0, le=10_000)


class ConsoleSettings(BaseModel):
    """The web console at /console/ (service/console)."""

    # A signed-in console left untouched this long signs out; each page or form renews it.
    idle_minutes: int = Field(default=30, ge=1, le=24 * 60)
    # How long the chosen language is remembered by the browser (the mshop_lang cookie).
    language_cookie_days: int = Field(default=365, ge=1, le=3650)


class OpenRosaSettings(BaseModel):
    """ODK Collect and KoboCollect (``service/openrosa``)."""

    # The largest submission POST (the instance and its attachments); told to Collect in
    # X-OpenRosa-Accept-Content-Length, so it splits bigger ones over several POSTs.
    max_submission_bytes: int = Field(default=50 * 1024 * 1024, ge=64 * 1024)
    # Attachments in one POST: each is a spooled file and a photo upload.
    max_attachments: int = Field(default=40, ge=1, le=1000)
    # The instance XML of one submission (a few KB for our largest checklist).
    max_instance_bytes: int = Field(default=512 * 1024, ge=1024, le=16 * 1024 * 1024)
    # Active app tokens one shopper may hold (a phone each, plus a spare).
    max_app_tokens_per_user: int = Field(default=5, ge=1, le=100)


class ServerSettings(BaseModel):
    """How ``mshop serve`` treats connections (see ``service/serving.py``)."""

    # An idle keep-alive connection is closed after this long.
    keep_alive_seconds: int = Field(default=5, ge=1, le=300)
    # A request's line and headers must arrive within this long of its first byte (or of
    # the connection opening): slowloris clients trickle them to hold sockets.
    header_timeout_seconds: float = Field(default=10, gt=0, le=300)
    # A request body that stops arriving for this long is dropped (a photo upload from a
    # phone on a poor network still sends something every few seconds).
    body_idle_timeout_seconds: float = Field(default=30, gt=0, le=600)
    # On SIGTERM, requests in flight get this long to finish.
    graceful_shutdown_seconds: int = Field(default=20, ge=0, le=600)
    # Connections and tasks per process beyond which the server answers 503 at once (a
    # problem with Retry-After: service/serving.py).
    max_connections: int = Field(default=1000, ge=1, le=100_000)
    # A request line plus headers larger than this is refused with a 431 problem (serving.py).
    max_header_bytes: int = Field(default=16 * 1024, ge=1024, le=1024 * 1024)
    # Peers whose X-Forwarded-For / X-Forwarded-Proto are believed: the reverse proxy's
    # addresses or networks, comma-separated ("10.0.0.5,192.168.1.0/24"; "*" trusts every
    # peer, only for a port that nothing but the proxy can reach). Empty: none, the client
    # address is the connection's own. uvicorn alone would trust 127.0.0.1, letting anyone
    # behind a pass-through proxy on the same host pick the address the login limits count.
    forwarded_allow_ips: str = ""
    # Once started, a process freezes the objects it holds out of the garbage collector's
    # walks, and collects its youngest generation after this many allocations not yet freed
    # (Python's default: 700). Without either, the collector took 0.8-0.9 ms of a sync
    # (service/collector.py).
    gc_freeze: bool = True
    gc_young_threshold: int = Field(default=10_000, ge=100, le=1_000_000)

    @field_validator("forwarded_allow_ips")
    @classmethod
    def _addresses(cls, value: str) -> str:
        entries = [entry.strip() for entry in value.split(",") if entry.strip()]
        for entry in entries:
            if entry != "*":
                try:
                    ipaddress.ip_network(entry, strict=False)
                except ValueError as exc:
                    raise ValueError(f"{entry!r} is not an IP address or network") from exc
        return ",".join(entries)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix="MSHOP_", env_nested_delimiter="__", extra="ignore"
    )

    demo: bool = False
    log_format: LogFormat = LogFormat.auto  # MSHOP_LOG_FORMAT; `serve --log-format` wins
    catalogue_dir: Path = PROJECT_ROOT / "checklists" / "standards"
    templates_dir: Path = PROJECT_ROOT / "checklists" / "templates"
    database: DatabaseSettings = DatabaseSettings()
    storage: StorageSettings = StorageSettings()
    s3: S3Settings = S3Settings()
    auth: AuthSettings = AuthSettings()
    limits: LimitSettings = LimitSettings()
    upload: UploadSettings = UploadSettings()
    jobs: JobSettings = JobSettings()
    reports: ReportSettings = ReportSettings()
    server: ServerSettings = ServerSettings()
    console: ConsoleSettings = ConsoleSettings()
    openrosa: OpenRosaSettings = OpenRosaSettings()


class ConfigError(RuntimeError):
    """The settings cannot run a service; the message says which variable to fix."""


def check_settings(settings: Settings) -> None:
    """Refuse settings that are unsafe or incomplete outside demo mode."""
    secret = settings.auth.secret_key.get_secret_value()
    if not settings.demo and (secret in WEAK_SECRETS or len(secret) < MIN_SECRET_LENGTH):
        raise ConfigError(
            "MSHOP_AUTH__SECRET_KEY is empty, a default or shorter than "
            f"{MIN_SECRET_LENGTH} characters; set a long random value, e.g. "
            "`python -c 'import secrets; print(secrets.token_urlsafe(48))'`, "
            "or run with --demo on loopback"
        )
    if settings.storage.backend is StorageBackend.s3 and not settings.s3.endpoint_url:
        raise ConfigError("MSHOP_STORAGE__BACKEND=s3 needs MSHOP_S3__ENDPOINT_URL")


@lru_cache
def get_settings() -> Settings:
    return Settings()
