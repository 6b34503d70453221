"""findings report without quotes: the words a shopper typed leave visit_findings

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-04 16:20:00

A finding may quote a text answer («Сказано: «…»»), which may name office staff. The findings
report (``visit_findings``, read by analysts) now stores messages without the quote; the
visit's own score (``visit_scores.result``) keeps it for coordinators. Rows stored before are
rewritten here. A quote the score's finding names in its parameters (rules 2026.3 on) is
rendered as scoring rendered it then (the templates below are the message catalogue's
``more.said`` at this revision) and that exact text removed; a quote older rules wrote into
the text is cut from its opening mark to its closing one before the standard's text or the
end (or to the end of a message cut at 2000 characters). Downgrade leaves the rows as they
are: the quotes remain in the scores.
"""

import json
import re
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SAID = {"en": ' Said: "{quote}".', "ru": " Сказано: «{quote}».", "kk": " Айтылғаны: «{quote}»."}
MARKS = {"en": ' Said: "', "ru": " Сказано: «", "kk": " Айтылғаны: «"}
WRITTEN = {
    "en": re.compile(r' Said: ".*?"\.(?= The standard \(|$)| Said: ".*\Z', re.DOTALL),
    "ru": re.compile(r" Сказано: «.*?»\.(?= По стандарту|$)| Сказано: «.*\Z", re.DOTALL),
    "kk": re.compile(r" Айтылғаны: «.*?»\.(?= Стандарт бойынша|$)| Айтылғаны: «.*\Z", re.DOTALL),
}
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


def _quoted_in_score(bind: sa.Connection, visit_id: Any) -> dict[tuple[str, str], list[str]]:
    """The quotes of the visit's scored findings, by (code, Russian message as stored)."""
    result = bind.execute(sa.select(scores.c.result).where(scores.c.visit_id == visit_id)).scalar()
    data = json.loads(result) if isinstance(result, str) else result or {}
    found: dict[tuple[str, str], list[str]] = {}
    for finding in data.get("findings", []):
        key = (str(finding.get("code")), (finding.get("message_ru") or "")[:LIMIT])
        found[key] = found.get(key, []) + _quotes(finding)
    return found


def upgrade() -> None:
    bind = op.get_bind()
    marked = sa.or_(*(findings.c[f"message_{lang}"].contains(m) for lang, m in MARKS.items()))
    rows: dict[Any, list[Any]] = defaultdict(list)
    for row in bind.execute(sa.select(findings).where(marked)).mappings():
        rows[row["visit_id"]].append(row)
    for visit_id, visit_rows in rows.items():
        quoted = _quoted_in_score(bind, visit_id)
        for row in visit_rows:
            said = quoted.get((row["code"], row["message_ru"]), [])
            texts = {}
            for lang, template in SAID.items():
                text = row[f"message_{lang}"]
                if text:
                    for quote in said:
                        text = text.replace(template.format(quote=quote), "", 1)
                    text = WRITTEN[lang].sub("", text)
                texts[f"message_{lang}"] = text
            bind.execute(findings.update().where(findings.c.id == row["id"]).values(**texts))


def downgrade() -> None:
    pass
