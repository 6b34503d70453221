"""SHA-256 checksums as S3 speaks them (base64 of the digest) and as the API does (hex)."""

import base64
import binascii


def sha256_base64(sha256: str) -> str:
    """S3 takes checksums as base64 of the digest; the API speaks hex."""
    try:
        digest = bytes.fromhex(sha256)
    except ValueError:
        digest = b""
    if len(digest) != 32:
        raise ValueError(f"sha256 must be 64 hex digits, not {sha256!r}")
    return base64.b64encode(digest).decode("ascii")


def sha256_hex(value: str | None, checksum_type: str | None) -> str | None:
    """The hex SHA-256 of a whole object from a HEAD's base64 checksum and its type."""
    # A multipart upload's checksum is of its parts ("...-3"), not of the object.
    if not value or "-" in value or (checksum_type or "FULL_OBJECT") != "FULL_OBJECT":
        return None
    try:
        digest = base64.b64decode(value, validate=True)
    except binascii.Error:
        return None
    return digest.hex() if len(digest) == 32 else None
