"""Who is signed in: the session cookie (UI) now, bearer tokens for the API later."""

from __future__ import annotations

from flask import current_app, g, request, session

from designer import runtime
from engine.services import identity
from engine.services.context import CallContext
from engine.services.identity import Principal


def login_session(principal: Principal) -> None:
    session.clear()  # a fresh session on login: no fixation
    session["uid"], session["tid"] = principal.user_id, principal.tenant_id
    session.permanent = True


def current_principal() -> Principal | None:
    if "principal" not in g:
        uid, tid = session.get("uid"), session.get("tid")
        g.principal = (
            identity.principal(runtime(current_app).store, tid, uid) if uid and tid else None
        )
    return g.principal  # type: ignore[no-any-return]


def call_context(principal: Principal | None = None) -> CallContext:
    addr, rid = request.remote_addr, g.get("request_id")
    if principal is None:
        return CallContext(None, "anonymous", addr, rid)
    return principal.context(addr, rid)
