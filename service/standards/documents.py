"""Document lists in bulk: a CSV a programme fills from the standards' own texts (pure).

One row per document, in the standard's order::

    code,effective_from,name_ru,name_en,note_ru
    S33,2026-01-01,удостоверение личности,Identity card,"Стандарт, п. 9"

Rows of one service and date form its list; ``note_ru`` (optional, first non-empty wins)
says where the list comes from. Each list becomes a new version of the service's standard
(``standards.service.with_documents``), so visits before ``effective_from`` keep theirs.
"""

import csv
import io

from pydantic import ValidationError

from service.standards.catalogue import CatalogueError
from service.standards.schemas import DocumentsImport

COLUMNS = ("code", "effective_from", "name_ru", "name_en", "note_ru")
REQUIRED = ("code", "effective_from", "name_ru")


def parse_documents_csv(text: str, *, source: str = "CSV") -> DocumentsImport:
    """Group the CSV's rows into one list per service and date.

    Raises:
        CatalogueError: a missing column, an empty required cell, or a list that does not
            validate; the message names ``source`` and the line.
    """
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = reader.fieldnames or []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise CatalogueError(f"{source}: missing columns {', '.join(missing)}")
    unknown = [c for c in header if c not in COLUMNS]
    if unknown:
        raise CatalogueError(f"{source}: unknown columns {', '.join(unknown)}")
    lists: dict[tuple[str, str], dict[str, object]] = {}
    for line, row in enumerate(reader, start=2):
        cells = {k: (v or "").strip() for k, v in row.items() if k is not None}
        empty = [c for c in REQUIRED if not cells.get(c)]
        if empty:
            raise CatalogueError(f"{source}: line {line}: empty {', '.join(empty)}")
        key = (cells["code"], cells["effective_from"])
        entry = lists.setdefault(
            key, {"code": key[0], "effective_from": key[1], "documents": [], "note_ru": None}
        )
        document = {"name_ru": cells["name_ru"], "name_en": cells.get("name_en") or None}
        entry["documents"].append(document)  # type: ignore[attr-defined]
        if cells.get("note_ru") and entry["note_ru"] is None:
            entry["note_ru"] = cells["note_ru"]
    if not lists:
        raise CatalogueError(f"{source}: no rows")
    try:
        return DocumentsImport.model_validate({"lists": list(lists.values())})
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        raise CatalogueError(f"{source}: {where}: {first['msg']}") from exc
