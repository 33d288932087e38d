"""Timeout durations: a number of hours, or an ISO-8601 duration of weeks, days and time.

Months and years are refused: their length depends on the calendar, and a timer
must know exactly when it is due.
"""

from __future__ import annotations

import re
from datetime import timedelta

_ISO = re.compile(
    r"^P(?:(?P<weeks>\d+)W)?(?:(?P<days>\d+)D)?"
    r"(?:T(?:(?P<hours>\d+)H)?(?:(?P<minutes>\d+)M)?(?:(?P<seconds>\d+)S)?)?$"
)
MAX = timedelta(days=366)


def parse_duration(value: object) -> timedelta | None:
    """``24`` / ``1.5`` (hours) or ``"PT4H"``, ``"P1DT12H"``, ``"P2W"``; ``None`` if invalid.

    The duration must be positive and at most a year.
    """
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        in_range = 0 < value <= MAX.total_seconds() / 3600  # False for NaN too
        found = timedelta(hours=value) if in_range else None
    elif isinstance(value, str):
        found = _parse_iso(value.strip().upper())
    else:
        return None
    return found if found is not None and timedelta(0) < found <= MAX else None


def _parse_iso(text: str) -> timedelta | None:
    match = _ISO.match(text)
    if match is None or text in ("P", "PT") or text.endswith("T"):
        return None
    parts = {k: int(v) for k, v in match.groupdict().items() if v is not None}
    try:
        return timedelta(**parts)
    except OverflowError:
        return None

