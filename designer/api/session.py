"""``/api/v1/session``: who am I; sign in and out with the UI's session cookie."""

from __future__ import annotations

from typing import Any

from flask import current_app, g, session
from flask.views import MethodView
from flask_wtf.csrf import generate_csrf
from marshmallow import Schema, fields

from designer import auth, runtime
from designer.api.examples import session as ex
from designer.api.operation import blueprint, operation
from designer.api.schemas import Request, text
from engine.services import identity
from engine.services.identity import Principal

blp = blueprint("session", "The caller: sign in, sign out, permissions")


class TenantRef(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)


class Me(Schema):
    user_id = fields.Integer(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    tenant = fields.Nested(TenantRef, required=True)
    is_admin = fields.Boolean(required=True)
    roles = fields.List(fields.String(), required=True)
    permissions = fields.List(fields.String(), required=True)
    credential = fields.String(required=True, metadata={"description": "token or session"})
    csrf_token = fields.String(metadata={
        "description": "session callers: send it as X-CSRFToken on POST/PUT/PATCH/DELETE"})


class SignIn(Request):
    username = text(150, required=True)
    password = fields.String(required=True, load_only=True,
                             validate=lambda v: 0 < len(v) <= 1024)
    tenant = text(63, metadata={"description": "tenant slug, when the user is in several"})


def me(principal: Principal, credential: str) -> dict[str, Any]:
    body = {"user_id": principal.user_id, "username": principal.username,
            "display_name": principal.display_name,
            "tenant": {"id": principal.tenant_id, "slug": principal.tenant_slug},
            "is_admin": principal.is_admin, "roles": list(principal.roles),
            "permissions": sorted(auth.permissions_of(principal)), "credential": credential}
    if credential == "session":
        body["csrf_token"] = generate_csrf()
    return body


@blp.route("/session")
class SessionView(MethodView):
    @operation(blp, None)
    @blp.response(200, Me, example=ex.ME)
    def get(self) -> Any:
        """The signed-in user, their tenant and permissions"""
        return me(auth.api_principal(), g.api_credential)

    @operation(blp, None, public=True, errors=(401, 429))
    @blp.arguments(SignIn, example=ex.SIGN_IN)
    @blp.response(200, Me, example=ex.SIGNED_IN)
    def post(self, data: dict[str, Any]) -> Any:
        """Sign in with a password: sets the session cookie (rate-limited per address)"""
        principal = identity.authenticate(runtime(current_app).store, data["username"],
                                          data["password"], auth.call_context(),
                                          tenant_slug=data.get("tenant"))
        auth.login_session(principal)
        return me(principal, "session")

    @operation(blp, None)
    @blp.response(204)
    def delete(self) -> Any:
        """Sign out (clears the session cookie)"""
        session.clear()
        return None
