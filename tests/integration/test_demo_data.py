"""`hub demo load`: invented people, realistic proportions, same seed same data."""

from collections import Counter
from datetime import date

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hub.demo.load import load_demo
from hub.errors import InvalidInput
from hub.models import MappaCase, PersonName, RiskAssessment, User
from hub.vocabulary import Role


def _load(session: Session, count: int = 150, seed: int = 7) -> None:
    load_demo(session, count=count, seed=seed, area="Test Area", today=date(2026, 11, 1))


def test_demo_has_a_user_for_every_role(session: Session) -> None:
    _load(session, count=5)
    roles = {grant.role for user in session.scalars(select(User)) for grant in user.role_grants}
    assert roles == set(Role)


def test_demo_proportions_are_realistic(session: Session) -> None:
    _load(session)
    levels = Counter(session.scalars(select(MappaCase.current_level)))
    categories = Counter(session.scalars(select(MappaCase.category)))
    bands = Counter(
        session.scalars(select(RiskAssessment.band).where(RiskAssessment.tool == "OASYS_ROSH"))
    )
    assert levels[1] / 150 > 0.85  # most cases at level 1
    assert categories[1] > categories[2] > categories[3]
    assert bands["LOW"] > bands["MEDIUM"] > bands["HIGH"] > bands["VERY_HIGH"]
    # R-02 holds in generated data too.
    assert not session.scalar(
        select(func.count()).where(MappaCase.category == 3, MappaCase.current_level == 1)
    )


def test_same_seed_gives_the_same_people(session: Session) -> None:
    def names() -> list[str]:
        nested = session.begin_nested()
        _load(session, count=10, seed=99)
        found = sorted(session.scalars(select(PersonName.family)))
        nested.rollback()
        return found

    assert names() == names()


def test_demo_goes_only_into_an_empty_database(session: Session) -> None:
    _load(session, count=2)
    with pytest.raises(InvalidInput, match="already holds data"):
        _load(session, count=2)
