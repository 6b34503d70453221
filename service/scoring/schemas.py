"""API models of scores."""

import datetime as dt

from service.scoring.results import ScoreResult


class VisitScorePublic(ScoreResult):
    computed_at: dt.datetime
