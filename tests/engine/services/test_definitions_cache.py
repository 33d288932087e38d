"""Compiled definitions are cached by version — but never across replaced rows."""

from __future__ import annotations

import copy

from docworld import TRANSFER_FORM

from engine.services import definitions, identity
from engine.store import Store
from engine.store.uow import transaction


def test_a_cached_bundle_never_serves_replaced_rows(store: Store) -> None:
    tid = identity.create_tenant(store, "cache").id
    definitions.publish(store, tid, "form", "transfer", body=TRANSFER_FORM)
    first = transaction(store, lambda uow: definitions.bundle(uow, tid, "transfer"))
    again = transaction(store, lambda uow: definitions.bundle(uow, tid, "transfer"))
    assert again is first  # cached
    # the same tenant id, key and version number — but other rows (a restore, say)
    with store.session() as s:
        from sqlalchemy import text

        s.execute(text("DELETE FROM definitions WHERE tenant_id = :t"), {"t": tid})
    changed = copy.deepcopy(TRANSFER_FORM)
    changed["labels"]["en"] = "Stock transfer"
    definitions.publish(store, tid, "form", "transfer", body=changed)
    fresh = transaction(store, lambda uow: definitions.bundle(uow, tid, "transfer"))
    assert fresh is not first and fresh.form.labels.en == "Stock transfer"
