"""The reads of every document step, on the driver: they must see exactly what the
ORM would (values, the session's objects, what it holds unflushed), on both backends."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import inspect, select, text, update
from sqlalchemy.orm import Session

from engine.services import identity
from engine.store import Store
from engine.store.doc_repo import DocRepo
from engine.store.doc_tables import Definition, Document, FormAccess
from engine.store.identity_repo import IdentityRepo
from engine.store.models import User

T0 = datetime(2026, 11, 22, 9, 0, 0, 123456, tzinfo=UTC)
COLUMNS = [c.key for c in Document.__table__.columns]


def _document(store: Store, **overrides: object) -> tuple[int, int]:
    tenant = identity.create_tenant(store, "acme").id
    fields: dict[str, object] = dict(
        tenant_id=tenant, form_key="transfer", form_version=3, flow_version=2,
        rules_version=None, serial="DB-0001", status="in_approval",
        data={"qty": "1.50", "lines": [{"item": "面粉", "qty": "2"}]},
        flow={"schema_version": 1, "tasks": []}, submitter="ann", submitter_id=7,
        revision=4, created_at=T0, updated_at=T0 + timedelta(seconds=1),
        submitted_at=T0 + timedelta(seconds=2), finished_at=None)
    fields.update(overrides)

    def work(session: Session) -> int:
        doc = Document(**fields)
        session.add(doc)
        session.flush()
        return doc.id

    return tenant, store.run(work)


def _orm_values(store: Store, doc_id: int) -> dict[str, object]:
    def work(session: Session) -> dict[str, object]:
        doc = session.execute(select(Document).where(Document.id == doc_id)).scalar_one()
        return {c: getattr(doc, c) for c in COLUMNS}

    return store.run(work, write=False)


def test_a_document_reads_as_the_orm_loads_it(store: Store) -> None:
    tenant, doc_id = _document(store)

    def work(session: Session) -> dict[str, object]:
        doc = DocRepo(session).document(tenant, doc_id, lock=True)
        assert doc is not None and doc in session and doc not in session.dirty
        return {c: getattr(doc, c) for c in COLUMNS}

    read = store.run(work)
    assert read == _orm_values(store, doc_id)
    assert read["created_at"] == T0 and read["data"]["lines"][0]["item"] == "面粉"


def test_a_document_of_another_tenant_or_none_at_all_is_none(store: Store) -> None:
    tenant, doc_id = _document(store)
    other = identity.create_tenant(store, "other").id
    assert store.run(lambda s: DocRepo(s).document(other, doc_id)) is None
    assert store.run(lambda s: DocRepo(s).document(tenant, doc_id + 1)) is None


def test_the_sessions_own_object_comes_back_unchanged(store: Store) -> None:
    tenant, doc_id = _document(store)

    def work(session: Session) -> None:
        first = DocRepo(session).document(tenant, doc_id)
        assert first is not None
        first.status = "approved"  # not yet flushed
        again = DocRepo(session).document(tenant, doc_id, lock=True)
        assert again is first and again.status == "approved"

    store.run(work)
    assert _orm_values(store, doc_id)["status"] == "approved"  # the flush went out


def test_changes_made_on_the_loaded_document_are_committed(store: Store) -> None:
    tenant, doc_id = _document(store)

    def work(session: Session) -> None:
        doc = DocRepo(session).document(tenant, doc_id)
        assert doc is not None
        doc.revision, doc.data = 5, {"qty": "3"}

    store.run(work)
    values = _orm_values(store, doc_id)
    assert (values["revision"], values["data"]) == (5, {"qty": "3"})


def test_an_inserted_document_gets_its_id_and_joins_the_session(store: Store) -> None:
    tenant, _ = _document(store)

    def work(session: Session) -> int:
        doc = Document(tenant_id=tenant, form_key="transfer", form_version=1, status="draft",
                       data={"note": "新"}, flow=None, submitter="ann", revision=0,
                       created_at=T0, updated_at=T0)
        DocRepo(session).insert_document(doc)
        assert doc.id is not None and doc in session and doc not in session.dirty
        assert not inspect(doc).expired_attributes  # nothing is loaded again when read
        assert DocRepo(session).document(tenant, doc.id) is doc
        return doc.id

    doc_id = store.run(work)
    values = _orm_values(store, doc_id)
    assert values["data"] == {"note": "新"} and values["flow"] is None
    assert values["created_at"] == T0 and values["serial"] is None


def test_what_the_session_holds_unflushed_is_read(store: Store) -> None:
    tenant, _ = _document(store)

    def work(session: Session) -> object:
        session.add(FormAccess(tenant_id=tenant, form_key="transfer", body={"view": {}},
                               updated_at=T0, updated_by="admin"))
        return DocRepo(session).form_access_body(tenant, "transfer")

    assert store.run(work) == {"view": {}}
    assert store.run(lambda s: DocRepo(s).form_access_body(tenant, "other")) is None


def _org(store: Store) -> int:
    """hq (boss) › east (lead) › store1 (no head) › counter (clerk heads it)."""
    tenant = identity.create_tenant(store, "acme").id
    identity.create_role(store, "acme", "finance", {"zh": "财务", "en": "Finance"})
    for name in ("boss", "lead", "clerk", "fin", "gone"):
        identity.create_user(store, "acme", name, password=f"{name}-password-1",
                             roles=("finance",) if name in ("fin", "gone") else ())
    identity.create_department(store, "acme", "hq", {"zh": "总部", "en": "HQ"}, head="boss")
    identity.create_department(store, "acme", "east", {"zh": "华东", "en": "East"},
                               parent="hq", head="lead")
    identity.create_department(store, "acme", "store1", {"zh": "一店", "en": "Store 1"},
                               parent="east")
    identity.create_department(store, "acme", "counter", {"zh": "柜台", "en": "Counter"},
                               parent="store1", head="clerk")
    identity.set_membership(store, "acme", "clerk", department="counter")
    return tenant


def test_heads_are_found_nearest_first_passing_over_the_user_and_headless(
        store: Store) -> None:
    tenant = _org(store)

    def heads(levels: int) -> list[str]:
        return store.run(lambda s: IdentityRepo(s).heads_above(tenant, "clerk", levels),
                         write=False)

    assert heads(1) == ["lead"] and heads(2) == ["lead", "boss"] and heads(9) == heads(2)
    assert store.run(lambda s: IdentityRepo(s).heads_above(tenant, "boss", 3)) == []
    assert store.run(lambda s: IdentityRepo(s).heads_above(tenant, "nobody", 3)) == []
    other = identity.create_tenant(store, "other").id  # the clerk is no member there
    assert store.run(lambda s: IdentityRepo(s).heads_above(other, "clerk", 3)) == []
    store.run(lambda s: s.execute(update(User).where(User.username == "lead")
                                  .values(is_active=False)))
    assert heads(2) == ["boss"]  # a deactivated head is passed over


def test_a_cycle_in_the_tree_ends_the_walk(store: Store) -> None:
    tenant = _org(store)
    store.run(lambda s: s.execute(text(
        "UPDATE departments SET parent_id = (SELECT id FROM departments WHERE code = "
        "'counter') WHERE code = 'hq'")))
    assert store.run(lambda s: IdentityRepo(s).heads_above(tenant, "clerk", 9)) == [
        "lead", "boss"]


def test_role_members_are_the_active_ones_by_name(store: Store) -> None:
    tenant = _org(store)
    assert store.run(lambda s: IdentityRepo(s).usernames_with_role(tenant, "finance")) == [
        "fin", "gone"]
    store.run(lambda s: s.execute(update(User).where(User.username == "gone")
                                  .values(is_active=False)))
    assert store.run(lambda s: IdentityRepo(s).usernames_with_role(tenant, "finance")) == [
        "fin"]
    assert store.run(lambda s: IdentityRepo(s).usernames_with_role(tenant, "nobody")) == []


def test_an_actions_reads_sent_together_match_the_reads_one_by_one(store: Store) -> None:
    tenant, doc_id = _document(store)

    def setup(session: Session) -> None:
        session.add(FormAccess(tenant_id=tenant, form_key="transfer", body={"act": ["boss"]},
                               updated_at=T0, updated_by="admin"))
        session.execute(text(
            "INSERT INTO doc_tasks (tenant_id, document_id, task_key, node, assignee, state, "
            "created_at) VALUES (:t, :d, 'boss.1.1', 'boss', 'ann', 'pending', :at), "
            "(:t, :d, 'cc:x:bob', 'x', 'bob', 'cc', :at)"),
            {"t": tenant, "d": doc_id, "at": T0.replace(tzinfo=None)})
        for kind, version, state in (("form", 1, "published"), ("form", 2, "published"),
                                     ("flow", 1, "published"), ("form", 3, "draft")):
            session.add(Definition(tenant_id=tenant, kind=kind, key="transfer",
                                   version=version, state=state, body={}, source={},
                                   created_at=T0, published_at=T0 if state != "draft" else None))

    store.run(setup)

    def work(session: Session) -> tuple[object, ...]:
        repo = DocRepo(session)
        doc, found = repo.for_action(tenant, doc_id, "ann")
        assert doc is not None and doc is repo.document(tenant, doc_id)
        return (found.document == {c: getattr(doc, c) for c in COLUMNS}, found.nodes,
                found.access, sorted(found.published),
                found.published == repo.published(tenant, "transfer"),
                repo.form_reads(tenant, "transfer") == (repo.published(tenant, "transfer"),
                                                         {"act": ["boss"]}))

    assert store.run(work) == (True, {"boss"}, {"act": ["boss"]},
                               [("flow", 1), ("form", 1), ("form", 2)], True, True)


def test_an_action_on_no_such_document_reads_nothing(store: Store) -> None:
    tenant, doc_id = _document(store)
    other = identity.create_tenant(store, "other").id

    def work(session: Session) -> tuple[object, ...]:
        doc, found = DocRepo(session).for_action(other, doc_id, "ann")
        return doc, found.document, found.nodes, found.access, found.published

    assert store.run(work) == (None, None, set(), None, {})
