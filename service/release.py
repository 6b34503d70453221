"""What identifies the code that is running, beyond ``__version__`` (which is not bumped on
every change): a digest of the package's own source, for tags a client may hold across a
release, so output a new release makes differently is never confirmed as the old one."""

import functools
import hashlib
from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


@functools.cache
def code_digest() -> str:
    """A digest of every Python file of the ``service`` package, by path and content; read
    once per process (about a megabyte)."""
    digest = hashlib.sha256()
    for path in sorted(_PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(_PACKAGE).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]
