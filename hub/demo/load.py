"""`hub demo load`: a whole synthetic MAPPA area, deterministic for a seed and a date."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.demo.agencies import create_organisation
from hub.demo.cases import create_case
from hub.demo.circles import create_demo_circles
from hub.demo.meetings import create_demo_meetings
from hub.errors import InvalidInput
from hub.models import Agency

ProgressBar = Callable[[range], AbstractContextManager[Iterator[int]]]


def load_demo(
    session: Session,
    *,
    count: int,
    seed: int,
    area: str,
    today: date,
    progress: ProgressBar | None = None,
) -> None:
    """Create the demo area in the caller's transaction: all of it, or (on error) none."""
    if count < 1 or count > 200_000:
        raise InvalidInput("--count", "must be between 1 and 200000")
    if session.scalar(select(func.count()).select_from(Agency)):
        raise InvalidInput(
            "database", "already holds data; demo data goes only into an empty database"
        )
    rng = random.Random(seed)
    org = create_organisation(session, area)
    indices = range(1, count + 1)
    if progress is None:
        for index in indices:
            create_case(session, org, rng, index, today, area)
    else:
        with progress(indices) as bar:
            for index in bar:
                create_case(session, org, rng, index, today, area)
    create_demo_circles(session, org, today)
    create_demo_meetings(session, org, today, area)
