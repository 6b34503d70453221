"""finding sources in the findings report: document, report line, clause in ru and kk

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-04 17:00:00

Each row of ``visit_findings`` now keeps what its finding rests on, so the findings report
says it beside the message: the document (a standard's service code, ``programme``,
``checklist``), the 2018 report's line and the clause in Russian and Kazakh (``clause`` holds
the English). Rows stored before are filled from their visit's score: scoring writes a
visit's rows in the order of its score's findings, so row n is finding n (where the counts
and codes do not pair up, or the score predates sources, the row keeps null and the report
shows none). Plain added columns: ``visit_findings`` carries the report-version triggers
(0014), which a rebuilt table would lose.
"""

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = (
    sa.Column("source_document", sa.String(length=16), nullable=True),
    sa.Column("source_line", sa.Integer(), nullable=True),
    sa.Column("clause_ru", sa.String(length=500), nullable=True),
    sa.Column("clause_kk", sa.String(length=500), nullable=True),
)


scores = sa.table("visit_scores", sa.column("visit_id", sa.Uuid()), sa.column("result", sa.JSON()))
findings = sa.table(
    "visit_findings",
    sa.column("id", sa.Integer()),
    sa.column("visit_id", sa.Uuid()),
    sa.column("code", sa.String()),
    *(sa.column(c.name, c.type) for c in COLUMNS),
)


def _filled(source: Any) -> dict[str, Any] | None:
    if not isinstance(source, dict) or not source.get("document"):
        return None
    line = source.get("line")
    return {
        "source_document": str(source["document"])[:16],
        "source_line": line if isinstance(line, int) else None,
        "clause_ru": str(source.get("clause_ru") or "")[:500] or None,
        "clause_kk": str(source.get("clause_kk") or "")[:500] or None,
    }


def upgrade() -> None:
    for column in COLUMNS:
        op.add_column("visit_findings", column)
    fill_from_scores(op.get_bind())


def fill_from_scores(bind: sa.Connection) -> None:
    """Give each row its finding's source, row n of a visit being its score's finding n."""
    rows: dict[Any, list[tuple[int, str]]] = defaultdict(list)
    query = sa.select(findings.c.visit_id, findings.c.id, findings.c.code).order_by(findings.c.id)
    for visit_id, row_id, code in bind.execute(query):
        rows[visit_id].append((row_id, code))
    for visit_id, visit_rows in rows.items():
        result = bind.execute(
            sa.select(scores.c.result).where(scores.c.visit_id == visit_id)
        ).scalar()
        data = json.loads(result) if isinstance(result, str) else result or {}
        scored = data.get("findings") or []
        if [f.get("code") for f in scored] != [code for _id, code in visit_rows]:
            continue
        for (row_id, _code), finding in zip(visit_rows, scored, strict=True):
            values = _filled(finding.get("source"))
            if values is not None:
                bind.execute(findings.update().where(findings.c.id == row_id).values(**values))


def downgrade() -> None:
    for column in reversed(COLUMNS):
        op.drop_column("visit_findings", column.name)  # native on SQLite 3.35+
