"""The version of the data reports are drawn from, for caching charts.

One row, id 1. Database triggers (migration 0009) add one to ``version`` in the transaction of
every write that can change a report: a visit added, deleted, or its status, period, wave,
service, office, channel or standard changed; a score, finding or criterion row written; a
standard or office added, changed or removed. Triggers rather than calls in the code, because
visits are written by the lifecycle, assignments, bulk imports and the demo generator's Core
inserts alike, and a writer that forgot to bump would leave a stale chart behind. The bump
locks the row until the commit; on PostgreSQL a visit's status change therefore bumps at the
commit (a deferred trigger), so a phone's first sync or a submit holds that lock only while
it commits.

``epoch`` is random per database, so a database made again from nothing (a new demo) never
repeats the version numbers, and ETags, of one that served before.
"""

from sqlalchemy import BigInteger, Column, String
from sqlmodel import Field

from service.base import SQLModel

VERSION_ROW = 1


class ReportDataVersion(SQLModel, table=True):
    __tablename__ = "report_data_version"

    id: int = Field(default=VERSION_ROW, primary_key=True)
    epoch: str = Field(sa_type=String(32))
    version: int = Field(sa_column=Column(BigInteger, nullable=False, server_default="0"))
