"""Aggregate counts of what the hub holds: no person, case or item is identifiable.

These are the figures MAPPA annual reports publish per area. They are shown only when the
operator turns on HUB_PUBLIC_STATISTICS (the demo does); by default the hub shows nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.models import MappaCase, RiskAssessment
from hub.vocabulary import CaseStatus, RiskBand, RiskTool

BAND_ORDER = (RiskBand.VERY_HIGH, RiskBand.HIGH, RiskBand.MEDIUM, RiskBand.LOW)


@dataclass(frozen=True)
class HubStatistics:
    open_cases: int
    by_category: dict[int, int]
    by_level: dict[int, int]
    by_risk: dict[str, int]


def hub_statistics(session: Session) -> HubStatistics:
    open_case = MappaCase.status != CaseStatus.CLOSED
    by_category: dict[int, int] = dict(
        session.execute(
            select(MappaCase.category, func.count()).where(open_case).group_by(MappaCase.category)
        ).all()
    )
    by_level: dict[int, int] = dict(
        session.execute(
            select(MappaCase.current_level, func.count())
            .where(open_case)
            .group_by(MappaCase.current_level)
        ).all()
    )
    latest = (
        select(
            RiskAssessment.person_id,
            RiskAssessment.band,
            func.row_number()
            .over(partition_by=RiskAssessment.person_id, order_by=RiskAssessment.assessed_at.desc())
            .label("rank"),
        )
        .where(RiskAssessment.tool == RiskTool.OASYS_ROSH)
        .subquery()
    )
    risk_rows = session.execute(
        select(latest.c.band, func.count())
        .join(MappaCase, MappaCase.person_id == latest.c.person_id)
        .where(latest.c.rank == 1, open_case)
        .group_by(latest.c.band)
    ).all()
    risk = {RiskBand(band).value: count for band, count in risk_rows}
    return HubStatistics(
        open_cases=sum(by_category.values()),
        by_category={c: by_category.get(c, 0) for c in (1, 2, 3, 4)},
        by_level={lvl: by_level.get(lvl, 0) for lvl in (1, 2, 3)},
        by_risk={b.value: risk.get(b.value, 0) for b in BAND_ORDER},
    )
