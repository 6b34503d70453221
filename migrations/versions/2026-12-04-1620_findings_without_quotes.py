"""findings report without quotes: the words a shopper typed leave visit_findings

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 16:20:00

A finding may quote a text answer («Сказано: «…»»), which may name office staff. The findings
report (``visit_findings``, read by analysts) now stores messages without the quote; the
visit's own score (``visit_scores.result``) keeps it for coordinators. Rows stored before are
rewritten here: each quote is rendered from the score's findings as scoring rendered it then
(the templates below are the message catalogue's ``more.said`` at this revision) and that
exact text is removed. Downgrade leaves the rows as they are: the quotes remain in the scores.
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SAID = {"en": ' Said: "{quote}".', "ru": " Сказано: «{quote}».", "kk": " Айтылғаны: «{quote}»."}
LIMIT = 2000  # visit_findings.message_* length, as scoring cut them

scores = sa.table("visit_scores", sa.column("visit_id", sa.Uuid()), sa.column("result", sa.JSON()))
findings = sa.table(
    "visit_findings",
    sa.column("id", sa.Integer()),
    sa.column("visit_id", sa.Uuid()),
    sa.column("code", sa.String()),
    sa.column("message_en", sa.String()),
    sa.column("message_ru", sa.String()),
    sa.column("message_kk", sa.String()),
)


def _quotes(finding: dict[str, Any]) -> list[str]:
    more = (finding.get("params") or {}).get("more")
    if not isinstance(more, list):
        return []
    return [
        str(m["params"]["quote"])
        for m in more
        if isinstance(m, dict) and m.get("key") == "more.said" and "quote" in m.get("params", {})
    ]


def upgrade() -> None:
    bind = op.get_bind()
    quoted = sa.select(scores.c.visit_id, scores.c.result).where(
        sa.cast(scores.c.result, sa.Text()).contains("more.said")
    )
    for visit_id, result in bind.execute(quoted).all():
        data = json.loads(result) if isinstance(result, str) else result
        rows = bind.execute(
            sa.select(findings).where(findings.c.visit_id == visit_id)
        ).mappings().all()
        for finding in data.get("findings", []):
            said = _quotes(finding)
            if not said:
                continue
            stored_ru = (finding.get("message_ru") or "")[:LIMIT]
            for row in rows:
                if row["code"] != finding.get("code") or row["message_ru"] != stored_ru:
                    continue
                texts = {}
                for lang, template in SAID.items():
                    text = row[f"message_{lang}"]
                    if text:
                        for quote in said:
                            text = text.replace(template.format(quote=quote), "", 1)
                    texts[f"message_{lang}"] = text
                bind.execute(findings.update().where(findings.c.id == row["id"]).values(**texts))


def downgrade() -> None:
    pass
