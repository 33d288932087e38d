"""``Idempotency-Key`` with Stripe's semantics."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from designer.api.idempotency import MemoryIdempotencyStore, Outcome, StoredResponse


def item(code: str) -> dict[str, str]:
    return {"code": code, "name": code, "base_unit": "piece"}


def test_same_key_and_body_replays_the_first_response(api: Any) -> None:
    key = {"Idempotency-Key": "3f1c-new-item"}
    first = api.post("items", item("K1"), headers=key)
    assert first.status_code == 201
    again = api.post("items", {"base_unit": "piece", "name": "K1", "code": "K1"}, headers=key)
    assert again.status_code == 201  # the replay, not "item.exists"
    assert again.get_json() == first.get_json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.headers["Location"] == first.headers["Location"]
    assert "Idempotent-Replayed" not in first.headers
    assert len(api.get("items?q=K1").get_json()["items"]) == 1


def test_same_key_with_another_body_is_422(api: Any) -> None:
    key = {"Idempotency-Key": "reused"}
    assert api.post("items", item("K2"), headers=key).status_code == 201
    other = api.post("items", item("K3"), headers=key)
    assert other.status_code == 422
    assert other.get_json()["code"] == "idempotency.key_reused"
    assert api.get("items?q=K3").get_json()["items"] == []


def test_errors_are_not_kept_and_keys_belong_to_their_caller(api: Any) -> None:
    key = {"Idempotency-Key": "try-again"}
    assert api.post("items", {"code": "K4"}, headers=key).status_code == 422
    assert api.post("items", item("K4"), headers=key).status_code == 201  # key still free
    theirs = api.post("items", item("K5"), headers=key, as_="keeper")
    assert theirs.status_code == 201  # another user's keys are another space
    bad = api.post("items", item("K6"), headers={"Idempotency-Key": "é" * 3})
    assert bad.status_code == 422 and bad.get_json()["code"] == "idempotency.bad_key"


def test_a_sales_batch_replays_with_its_key(api: Any) -> None:
    batch = {"sales": [{"client_id": "k-1", "location": "WH",
                        "lines": [{"item": "A1", "qty": "1"}]}]}
    key = {"Idempotency-Key": "day-2024-06-01"}
    first = api.post("sales/batch", batch, headers=key)
    again = api.post("sales/batch", batch, headers=key)
    assert again.get_json() == first.get_json()
    assert again.get_json()["summary"]["posted"] == 1  # the first response, replayed


def test_memory_store_outcomes() -> None:
    store, now = MemoryIdempotencyStore(), datetime.now(UTC)
    assert store.begin("1:1", "k", "f1", now).outcome is Outcome.NEW
    assert store.begin("1:1", "k", "f1", now).outcome is Outcome.IN_PROGRESS
    assert store.begin("1:1", "k", "f2", now).outcome is Outcome.MISMATCH
    store.finish("1:1", "k", StoredResponse(201, (), b"{}"), now)
    replay = store.begin("1:1", "k", "f1", now)
    assert replay.outcome is Outcome.REPLAY and replay.response is not None
    assert store.begin("1:2", "k", "f1", now).outcome is Outcome.NEW
    store.release("1:2", "k")
    assert store.begin("1:2", "k", "f9", now).outcome is Outcome.NEW


def test_keys_are_shared_by_every_web_process(database_url: str, tmp_path: Any) -> None:
    """Two apps on one database (two gunicorn workers) see the same keys."""
    from designer import create_app
    from engine.services import identity

    apps = [create_app({"TESTING": True, "INSTANCE_PATH": str(tmp_path / f"i{n}"),
                        "DATABASE_URL": database_url, "REDIS_URL": None,
                        "SECRET_KEY": "k"}) for n in range(2)]
    store = apps[0].extensions["flowledger"].store
    identity.create_tenant(store, "twin")
    identity.create_user(store, "twin", "owner", password="owner-password", admin=True)
    token = identity.create_token(store, "twin", "owner", "t").token
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "same-key"}
    body = {"key": "buyer", "labels": {"zh": "采购", "en": "Buyer"}}
    first = apps[0].test_client().post("/api/v1/roles", json=body, headers=headers)
    second = apps[1].test_client().post("/api/v1/roles", json=body, headers=headers)
    assert first.status_code == 201 and second.status_code == 201
    assert second.headers.get("Idempotent-Replayed") == "true"
    assert second.get_json() == first.get_json()
    for app in apps:
        app.extensions["flowledger"].store.dispose()
