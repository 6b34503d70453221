"""What a finding rests on: a document, its clause in three languages, the report's line.

Pure Pydantic: no web, database or storage imports. The clause is a message of the catalogue
(``checklists/messages.yaml``, its ``source.*`` keys), rendered as a finding's message is.
"""

from pydantic import BaseModel, ConfigDict

from service.scoring.messages import Params, render_all


class Source(BaseModel):
    """What a finding rests on: the document (a standard's service code such as ``S33``,
    ``programme`` for the monitoring programme's norms, ``checklist`` for the monitoring's own
    checklist), its clause, and the line of the 2018 report it is quoted from, when known.

    ``clause_key`` and ``clause_params`` name the clause in the message catalogue (its
    ``source.*`` keys); ``clause_en``, ``clause_ru`` and ``clause_kk`` are it rendered, and
    ``clause`` is the English one, as in snapshots stored before the clause had languages.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    document: str
    clause: str
    line: int | None = None
    clause_key: str = ""
    clause_params: Params = {}
    clause_en: str = ""
    clause_ru: str = ""
    clause_kk: str = ""

    @classmethod
    def of(
        cls, document: str, key: str, params: Params | None = None, *, line: int | None = None
    ) -> "Source":
        """The clause ``source.<key>`` of the catalogue, with ``params``, in ``document``."""
        params = params or {}
        texts = render_all(f"source.{key}", params)
        return cls(
            document=document,
            clause=texts["en"],
            line=line,
            clause_key=f"source.{key}",
            clause_params=params,
            clause_en=texts["en"],
            clause_ru=texts["ru"],
            clause_kk=texts["kk"],
        )

    def citing(self, key: str, params: Params | None = None) -> "Source":
        """Another clause of the same document, at the same report line."""
        return Source.of(self.document, key, params, line=self.line)
