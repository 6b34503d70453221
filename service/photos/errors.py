"""Problems a photo upload can meet, each with its status and stable code."""

from typing import ClassVar

from service.error_codes import ErrorCode
from service.errors import (
    Conflict,
    NotFound,
    PayloadTooLarge,
    ServiceError,
    ServiceUnavailable,
    UnsupportedMediaType,
    ValidationFailed,
)
from service.photos.header import ImageRejected


class PhotoNotFound(NotFound):
    code: ClassVar[ErrorCode] = "photo-not-found"
    title = "Photo not found"


class PhotoProcessing(Conflict):
    code: ClassVar[ErrorCode] = "photo-processing"
    title = "Photo being processed"


class PhotoRejected(Conflict):
    code: ClassVar[ErrorCode] = "photo-rejected"
    title = "Photo rejected"


class PhotosProcessing(Conflict):
    code: ClassVar[ErrorCode] = "photos-processing"
    title = "Required photos being processed"


class PhotoConflict(Conflict):
    code: ClassVar[ErrorCode] = "photo-conflict"
    title = "Photo conflict"


class PhotoItemInvalid(ValidationFailed):
    code: ClassVar[ErrorCode] = "photo-item-invalid"
    title = "Item takes no photos"


class TooManyPhotos(Conflict):
    code: ClassVar[ErrorCode] = "too-many-photos"
    title = "Too many photos"


class PhotoTooLarge(PayloadTooLarge):
    code: ClassVar[ErrorCode] = "payload-too-large"


class ImageTooLarge(PayloadTooLarge):
    code: ClassVar[ErrorCode] = "image-too-large"
    title = "Image too large"


class ImageTooCompressed(ValidationFailed):
    code: ClassVar[ErrorCode] = "image-too-compressed"
    title = "Image too compressed"


class ImageDecoderBusy(ServiceUnavailable):
    code: ClassVar[ErrorCode] = "image-decoder-busy"
    title = "Image decoder busy"


class NotAnImage(UnsupportedMediaType):
    code: ClassVar[ErrorCode] = "unsupported-media-type"


class EmptyFile(ValidationFailed):
    code: ClassVar[ErrorCode] = "empty-file"
    title = "Empty file"


class ImageCorrupt(ValidationFailed):
    code: ClassVar[ErrorCode] = "image-corrupt"
    title = "Image corrupt"


class ChecksumMismatch(ValidationFailed):
    code: ClassVar[ErrorCode] = "checksum-mismatch"
    title = "Checksum mismatch"


def checksum_mismatch(*checks: tuple[str, object, object], retry: str) -> ChecksumMismatch | None:
    """The refusal of bytes that are not the declared ones, naming each field that differs
    (``checks``: field, declared, received; a side that is None is not known and not
    compared), or None when they all match. ``retry``: what the phone should do."""
    mismatched = [
        {"field": field, "declared": declared, "received": received}
        for field, declared, received in checks
        if declared is not None and received is not None and declared != received
    ]
    if not mismatched:
        return None
    said = "; ".join(
        f"{m['field']} declared {m['declared']}, received {m['received']}" for m in mismatched
    )
    return ChecksumMismatch(
        f"The photo's bytes are not the ones declared ({said}); {retry}", errors=mismatched
    )


class UploadMissing(Conflict):
    code: ClassVar[ErrorCode] = "upload-missing"
    title = "Upload not received"


class DirectUploadUnavailable(Conflict):
    code: ClassVar[ErrorCode] = "direct-upload-unavailable"
    title = "Direct upload unavailable"


_BY_CODE: dict[str, type[ServiceError]] = {
    "unsupported-media-type": NotAnImage,
    "empty-file": EmptyFile,
    "payload-too-large": PhotoTooLarge,
    "image-too-large": ImageTooLarge,
    "image-corrupt": ImageCorrupt,
    "image-too-compressed": ImageTooCompressed,
}


def from_rejection(exc: ImageRejected) -> ServiceError:
    if exc.code == "image-decoder-busy":
        return ImageDecoderBusy(exc.detail, headers={"Retry-After": "5"})
    return _BY_CODE[exc.code](exc.detail)
