"""Every query on checklist templates and resolved checklists."""

from sqlalchemy import func
from sqlmodel import Session, col, select

from service.checklists.models import Checklist, ChecklistTemplateRow


def latest_template(session: Session, channel: str) -> ChecklistTemplateRow | None:
    return session.exec(
        select(ChecklistTemplateRow)
        .where(col(ChecklistTemplateRow.channel) == channel)
        .order_by(col(ChecklistTemplateRow.version).desc())
        .limit(1)
    ).first()


def template_version(session: Session, channel: str, version: int) -> ChecklistTemplateRow | None:
    return session.exec(
        select(ChecklistTemplateRow).where(
            col(ChecklistTemplateRow.channel) == channel,
            col(ChecklistTemplateRow.version) == version,
        )
    ).first()


def max_template_version(session: Session, channel: str) -> int:
    value = session.exec(
        select(func.max(ChecklistTemplateRow.version)).where(
            col(ChecklistTemplateRow.channel) == channel
        )
    ).one()
    return value or 0


def get_template(session: Session, template_id: int) -> ChecklistTemplateRow | None:
    return session.get(ChecklistTemplateRow, template_id)


def find_checklist(session: Session, template_id: int, standard_id: int) -> Checklist | None:
    return session.exec(
        select(Checklist).where(
            col(Checklist.template_id) == template_id, col(Checklist.standard_id) == standard_id
        )
    ).first()


def get_checklist(session: Session, checklist_id: int) -> Checklist | None:
    return session.get(Checklist, checklist_id)


def add(session: Session, row: ChecklistTemplateRow | Checklist) -> None:
    session.add(row)
    session.flush()


def content_hash(session: Session, checklist_id: int) -> str | None:
    return session.exec(
        select(Checklist.content_hash).where(col(Checklist.id) == checklist_id)
    ).first()
