"""Loading many services' document lists at once, each a standard version checklists carry."""

import datetime as dt
import uuid

from sqlmodel import Session

from service.checklists import service as checklists_service
from service.standards import service as standards_service
from service.standards.schemas import DocumentsImport, DocumentsImportReport, ImportedVersion


def import_documents(
    session: Session, batch: DocumentsImport, *, now: dt.datetime, actor_id: uuid.UUID | None
) -> DocumentsImportReport:
    """Add a standard version per list: the version in force on its date with the new list.

    All or nothing: the first list that fails (unknown service, no standard in force, a
    different version already stored for that date, a checklist that no longer builds)
    raises, and the caller's transaction rolls every list back. A list already stored
    exactly is reported unchanged.
    """
    versions = []
    for documents in batch.lists:
        body = standards_service.with_documents(session, documents)
        row, created = checklists_service.add_standard_version(
            session, documents.code, body, now=now, actor_id=actor_id
        )
        versions.append(
            ImportedVersion(
                code=documents.code,
                version=row.version,
                effective_from=row.effective_from,
                content_hash=row.content_hash,
                created_at=row.created_at,
                created=created,
            )
        )
    created_count = sum(v.created for v in versions)
    return DocumentsImportReport(
        created=created_count, unchanged=len(versions) - created_count, versions=versions
    )
