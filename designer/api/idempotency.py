"""``Idempotency-Key`` on POST, with Stripe's semantics.

* The first request with a key runs; its response (status, body, content type,
  ``Location``) is kept for 24 hours under (tenant, user, key).
* The same key with the same request (method, path, query and JSON body) replays
  that response, with ``Idempotent-Replayed: true``, without running anything.
* The same key with a different request answers 422 ``idempotency.key_reused``.
* While the first request still runs, the same key answers 409
  ``idempotency.in_progress``.
* Errors are not kept: a request that failed (4xx from validation or a refusal, or
  5xx) leaves the key free, and a retry runs again — errors change nothing.

Keys live behind :class:`IdempotencyStore`. :class:`MemoryIdempotencyStore` keeps
them in this process (tests and single-process runs); a database-backed store (one
row per key, see docs/api.md) is what several web processes need.
"""

from __future__ import annotations

import hashlib
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import Enum
from typing import Any, Protocol

from flask import Flask, Response, current_app, make_response, request

from engine.errors import Conflict, ValidationError
from engine.services import idempotency as keys
from engine.services.identity import Principal

HEADER = "Idempotency-Key"
REPLAYED = "Idempotent-Replayed"
TTL = timedelta(hours=24)
KEY = re.compile(r"^[\x21-\x7e]{1,255}$")
_KEPT_HEADERS = ("Content-Type", "Location")

HEADER_DOC = {
    "in": "header", "name": HEADER, "required": False,
    "description": "Any unique string (a UUID): a retry with the same key and body gets "
                   "the first response again instead of doing the work twice.",
    "schema": {"type": "string", "minLength": 1, "maxLength": 255, "pattern": r"^[!-~]+$"},
}


@dataclass(frozen=True, slots=True)
class StoredResponse:
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes


class Outcome(Enum):
    NEW = "new"  # go on: the key is now held by this request
    REPLAY = "replay"
    MISMATCH = "mismatch"
    IN_PROGRESS = "in_progress"


@dataclass(frozen=True, slots=True)
class Begun:
    outcome: Outcome
    response: StoredResponse | None = None


class IdempotencyStore(Protocol):
    """Where keys live. ``scope`` is ``"<tenant id>:<user id>"``."""

    def begin(self, scope: str, key: str, fingerprint: str, now: datetime) -> Begun: ...

    def finish(self, scope: str, key: str, response: StoredResponse, now: datetime) -> None: ...

    def release(self, scope: str, key: str) -> None: ...


@dataclass(slots=True)
class _Entry:
    fingerprint: str
    created: datetime
    response: StoredResponse | None = None


class MemoryIdempotencyStore:
    """Keys in this process only: right for tests and a single web process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[tuple[str, str], _Entry] = {}

    def begin(self, scope: str, key: str, fingerprint: str, now: datetime) -> Begun:
        with self._lock:
            self._expire(now)
            entry = self._entries.get((scope, key))
            if entry is None:
                self._entries[(scope, key)] = _Entry(fingerprint, now)
                return Begun(Outcome.NEW)
            if entry.fingerprint != fingerprint:
                return Begun(Outcome.MISMATCH)
            if entry.response is None:
                return Begun(Outcome.IN_PROGRESS)
            return Begun(Outcome.REPLAY, entry.response)

    def finish(self, scope: str, key: str, response: StoredResponse, now: datetime) -> None:
        with self._lock:
            entry = self._entries.get((scope, key))
            if entry is not None:
                entry.response = response

    def release(self, scope: str, key: str) -> None:
        with self._lock:
            self._entries.pop((scope, key), None)

    def _expire(self, now: datetime) -> None:
        old = [k for k, e in self._entries.items() if now - e.created > TTL]
        for k in old:
            del self._entries[k]


class DatabaseIdempotencyStore:
    """Keys in the database (``idempotency_keys``): every web process sees them."""

    def __init__(self, store: Any) -> None:
        self.store = store

    @staticmethod
    def _ids(scope: str) -> tuple[int, int]:
        tenant, user = scope.split(":")
        return int(tenant), int(user)

    def begin(self, scope: str, key: str, fingerprint: str, now: datetime) -> Begun:
        claim = keys.begin(self.store, *self._ids(scope), key, fingerprint, now)
        if claim.outcome == "replay":
            assert claim.status is not None
            headers = tuple((str(k), str(v)) for k, v in (claim.headers or {}).items())
            return Begun(Outcome.REPLAY, StoredResponse(claim.status, headers,
                                                        claim.body or b""))
        return Begun(Outcome(claim.outcome))

    def finish(self, scope: str, key: str, response: StoredResponse, now: datetime) -> None:
        keys.finish(self.store, *self._ids(scope), key, response.status,
                    dict(response.headers), response.body)

    def release(self, scope: str, key: str) -> None:
        keys.release(self.store, *self._ids(scope), key)


def init_app(app: Flask, store: IdempotencyStore | None = None) -> None:
    """Keys in the database unless a store is given (``IDEMPOTENCY_STORE``)."""
    from designer import runtime

    app.extensions["flowledger.idempotency"] = store or DatabaseIdempotencyStore(
        runtime(app).store)


def _store() -> IdempotencyStore:
    found: IdempotencyStore = current_app.extensions["flowledger.idempotency"]
    return found


def fingerprint() -> str:
    """What makes two requests "the same": method, path, query and the JSON body
    (canonical: key order and spacing do not matter)."""
    parsed = request.get_json(silent=True)
    body: Any = parsed if parsed is not None else request.get_data().decode("latin-1")
    text = json.dumps([request.method, request.path, sorted(request.args.items(multi=True)),
                       body], sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                      default=str)
    return hashlib.sha256(text.encode()).hexdigest()


def _replay(stored: StoredResponse) -> Response:
    response = Response(stored.body, status=stored.status)
    for name, value in stored.headers:
        response.headers[name] = value
    response.headers[REPLAYED] = "true"
    return response


def guarded(principal: Principal, run: Callable[[], Any]) -> Any:
    """Run a POST once per idempotency key (when the request carries one)."""
    key = request.headers.get(HEADER)
    if key is None or request.method != "POST":
        return run()
    if not KEY.match(key):
        raise ValidationError.of(
            "idempotency.bad_key", "Idempotency-Key must be 1-255 visible ASCII characters",
            "Idempotency-Key 须为 1-255 个可见 ASCII 字符", path=HEADER)
    store, scope, now = _store(), f"{principal.tenant_id}:{principal.user_id}", datetime.now(UTC)
    begun = store.begin(scope, key, fingerprint(), now)
    if begun.outcome is Outcome.REPLAY:
        assert begun.response is not None
        return _replay(begun.response)
    if begun.outcome is Outcome.MISMATCH:
        raise ValidationError.of(
            "idempotency.key_reused",
            "This Idempotency-Key was used with a different request: use a new key",
            "该 Idempotency-Key 已用于另一个不同的请求：请使用新的键", path=HEADER)
    if begun.outcome is Outcome.IN_PROGRESS:
        raise Conflict.of(
            "idempotency.in_progress",
            "A request with this Idempotency-Key is still running: retry in a moment",
            "使用该 Idempotency-Key 的请求仍在处理中：请稍后重试", path=HEADER)
    try:
        response = make_response(run())
    except BaseException:
        store.release(scope, key)
        raise
    if response.status_code >= 400:
        store.release(scope, key)
        return response
    headers = tuple((h, response.headers[h]) for h in _KEPT_HEADERS if h in response.headers)
    store.finish(scope, key, StoredResponse(response.status_code, headers,
                                            response.get_data()), now)
    return response
