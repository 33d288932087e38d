"""Idempotency keys, payload digests and the at-most-once decision."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from engine.ledger.keys import check_idempotent, effect_key, movement_key, payload_digest
from engine.ledger.model import LocationKind
from engine.ledger.results import Result

D = Decimal


def test_effect_key_is_stable_and_escaped() -> None:
    assert effect_key(42, "approved", "stock", 3) == "doc:42:approved:stock:3"
    assert effect_key(42, "approved at finance", "a:b", 0, 7) == (
        "doc:42:approved%20at%20finance:a%3Ab:0:7"
    )
    assert movement_key("doc:1:x:y:0", 2) == "doc:1:x:y:0/2"


def test_digest_depends_on_values_not_spelling() -> None:
    a = payload_digest({"qty": D("1.50"), "item": 3, "when": date(2024, 1, 2)})
    b = payload_digest({"when": date(2024, 1, 2), "item": 3, "qty": D("1.5")})
    c = payload_digest({"qty": D("1.51"), "item": 3, "when": date(2024, 1, 2)})
    assert a == b != c
    assert payload_digest({"kind": LocationKind.SCRAP}) == payload_digest({"kind": "scrap"})


def test_digest_refuses_floats() -> None:
    with pytest.raises(TypeError, match="float"):
        payload_digest({"qty": 1.5})


def test_check_idempotent() -> None:
    assert check_idempotent(None, "abc") is Result.OK
    assert check_idempotent("abc", "abc") is Result.EXISTS
    assert check_idempotent("abc", "abd") is Result.EXISTS_WITH_DIFFERENT_PAYLOAD
