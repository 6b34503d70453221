"""HEADs of stored objects for the price of the HTTP request, not of botocore's pipeline.

``complete`` sends one HEAD a photo (bench/photos.py: four a visit). Through the client,
``head_object`` costs about 2.7 ms of CPU on the bench machine: events, endpoint rules, the
response parser (dateutil reading ``Last-Modified``), retries; a URL signed with the same
client's credentials (``signing.UrlSigner``), sent through botocore's own HTTP session built
from the client's configuration (timeouts, pool, proxies, certificates), costs well under
half of it and answers the same headers. Only the two fields ``complete`` reads are taken:
the size and the stored SHA-256 checksum.
"""

import random
import time
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING, Any

from botocore.awsrequest import AWSRequest
from botocore.exceptions import ConnectionError as StoreConnectionError
from botocore.exceptions import HTTPClientError
from botocore.httpsession import URLLib3Session
from botocore.session import get_session
from botocore.utils import get_environ_proxies

from service.storage.signing import UrlSigner

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client

# Statuses worth another try, as botocore's standard retry mode treats them.
_TRANSIENT = frozenset({429, 500, 502, 503, 504})
# Signed for this long; a HEAD is sent at once, retries included.
_URL_SECONDS = 60
_BACKOFF_CAP_SECONDS = 1.0


class HeadFailed(Exception):
    """The store did not answer the HEAD (down, refused the signature, kept failing)."""


@dataclass(frozen=True, slots=True)
class Head:
    size: int
    checksum_sha256: str | None  # base64, as S3 sends it
    checksum_type: str | None


class SignedHeads:
    """HEADs of ``bucket``'s objects, signed by ``client`` and retried as it would."""

    def __init__(self, client: "S3Client", bucket: str) -> None:
        self.client = client
        self.bucket = bucket
        self._urls = UrlSigner(client, bucket)
        # Config's options are attributes at run time; botocore-stubs declare only __init__.
        option = partial(getattr, client.meta.config)
        retries = option("retries") or {}
        self.attempts = max(1, int(retries.get("total_max_attempts", 3)))
        endpoint = client.meta.endpoint_url
        timeout: Any = (option("connect_timeout"), option("read_timeout"))  # stubs: one number
        self.http = URLLib3Session(
            # As the client: a CA bundle named by AWS_CA_BUNDLE or the AWS config, else certifi.
            verify=get_session().get_config_variable("ca_bundle") or True,
            proxies=option("proxies") or get_environ_proxies(endpoint),
            timeout=timeout,
            max_pool_connections=option("max_pool_connections"),
            client_cert=option("client_cert"),
            proxies_config=option("proxies_config"),
        )

    def head(self, key: str) -> Head | None:
        """What the store holds at ``key`` (None: nothing).

        Raises:
            HeadFailed: no answer, an answer other than 200 or 404, or a transient failure
                on every attempt.
        """
        # S3 sends stored checksums only when asked; the header is signed into the URL.
        asked = {"x-amz-checksum-mode": "ENABLED"}
        url = self._urls.url("HEAD", key, asked, _URL_SECONDS)
        request = AWSRequest("HEAD", url, headers=asked).prepare()
        problem = ""
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(random.uniform(0, min(_BACKOFF_CAP_SECONDS, 0.05 * 2**attempt)))
            try:
                response = self.http.send(request)
            except (HTTPClientError, StoreConnectionError) as exc:  # refused, reset, timed out
                problem = str(exc)
                continue
            status = response.status_code
            if status == 200:
                headers = response.headers
                return Head(
                    size=int(headers["Content-Length"]),
                    checksum_sha256=headers.get("x-amz-checksum-sha256"),
                    checksum_type=headers.get("x-amz-checksum-type"),
                )
            if status == 404:
                return None
            problem = f"HTTP {status}"
            if status not in _TRANSIENT:
                break
        raise HeadFailed(f"HEAD {key}: {problem}")
