"""Exact decimals and UTC timestamps read back identically on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal

import pytest
import sqlalchemy as sa

from engine.store import Store
from engine.store.types import ScaledDecimal, UTCDateTime

meta = sa.MetaData()
probe = sa.Table(
    "type_probe", meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("qty", ScaledDecimal(6)),
    sa.Column("at", UTCDateTime()),
)


@pytest.fixture
def table(store: Store):  # type: ignore[no-untyped-def]
    meta.create_all(store.engine)
    yield probe
    meta.drop_all(store.engine)


def test_scaled_decimal_round_trips_exactly(store: Store, table: sa.Table) -> None:
    values = [Decimal("0.000001"), Decimal("123456789.123456"), Decimal("-3.5"), Decimal("0")]
    with store.engine.begin() as conn:
        conn.execute(table.insert(), [{"id": i, "qty": v} for i, v in enumerate(values)])
        total = conn.execute(sa.select(sa.func.sum(table.c.qty))).scalar_one()
        back = conn.execute(sa.select(table.c.qty).order_by(table.c.id)).scalars().all()
    assert back == values
    assert total == sum(values)  # summed as integers in SQL, exact
    assert all(isinstance(v, Decimal) for v in back)


def test_scaled_decimal_refuses_extra_places(store: Store, table: sa.Table) -> None:
    with pytest.raises(sa.exc.StatementError, match="more than 6 decimal places"):
        with store.engine.begin() as conn:
            conn.execute(table.insert(), {"id": 1, "qty": Decimal("0.0000001")})


def test_utc_datetime_is_aware_and_exact(store: Store, table: sa.Table) -> None:
    shanghai = timezone(timedelta(hours=8))
    moment = datetime(2026, 11, 22, 8, 30, 15, 123456, tzinfo=shanghai)
    with store.engine.begin() as conn:
        conn.execute(table.insert(), {"id": 1, "at": moment})
        back = conn.execute(sa.select(table.c.at)).scalar_one()
    assert back == moment and back.tzinfo == UTC


def test_naive_datetimes_are_refused(store: Store, table: sa.Table) -> None:
    with pytest.raises(sa.exc.StatementError, match="naive datetime"):
        with store.engine.begin() as conn:
            conn.execute(table.insert(), {"id": 1, "at": datetime(2026, 1, 1)})
