"""The audit chain catches an edited, a deleted and two swapped events."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import delete, select, update

from engine.services import audit, identity
from engine.store import Store
from engine.store.models import AuditEvent


@pytest.fixture
def chain(store: Store) -> Store:
    identity.create_tenant(store, "acme")
    for i in range(4):
        identity.create_role(store, "acme", f"role{i}", {"zh": f"角色{i}", "en": f"Role {i}"})
    return store  # 5 events: tenant.create + 4 role.create


def codes(store: Store) -> set[str]:
    [report] = audit.verify(store, "acme")
    return {p.code for p in report.problems}


def test_untouched_chain_verifies(chain: Store) -> None:
    [report] = audit.verify(chain, "acme")
    assert report.ok and report.events == 5


def test_edited_event_is_detected(chain: Store) -> None:
    with chain.session() as s:
        s.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(actor_label="mallory"))
    assert "audit.event_altered" in codes(chain)


def test_edited_detail_is_detected(chain: Store) -> None:
    with chain.session() as s:
        s.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(detail={"x": 1}))
    assert "audit.event_altered" in codes(chain)


def test_deleted_event_is_detected(chain: Store) -> None:
    with chain.session() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.seq == 3))
    assert {"audit.sequence_gap", "audit.chain_broken"} <= codes(chain)


def test_deleted_newest_event_is_detected(chain: Store) -> None:
    with chain.session() as s:
        s.execute(delete(AuditEvent).where(AuditEvent.seq == 5))
    assert codes(chain) == {"audit.head_mismatch"}


def test_swapped_events_are_detected(chain: Store) -> None:
    with chain.session() as s:
        s.execute(update(AuditEvent).where(AuditEvent.seq == 2).values(seq=-2))
        s.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(seq=2))
        s.execute(update(AuditEvent).where(AuditEvent.seq == -2).values(seq=3))
    assert "audit.chain_broken" in codes(chain)


def test_rehashed_forgery_still_breaks_the_next_link(chain: Store) -> None:
    """An attacker who edits an event and recomputes its hash breaks the next link."""
    with chain.session() as s:
        ev = s.execute(select(AuditEvent).where(AuditEvent.seq == 2)).scalar_one()
        ev.actor_label = "mallory"
        ev.hash = "f" * 64
    assert {"audit.event_altered", "audit.chain_broken"} <= codes(chain)


def test_concurrent_writers_extend_one_valid_chain(store: Store) -> None:
    identity.create_tenant(store, "busy")
    barrier = threading.Barrier(8)
    errors: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            barrier.wait()
            for i in range(3):
                identity.create_role(store, "busy", f"r{n}-{i}", {"zh": "角色", "en": "Role"})
        except BaseException as exc:  # collected and re-raised in the main thread
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    [report] = audit.verify(store, "busy")
    assert report.ok and report.events == 1 + 8 * 3
