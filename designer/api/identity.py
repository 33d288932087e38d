"""Identity: tenants, users and their memberships, roles, departments, API tokens.

Reading needs ``identity.view``; changing users, roles, departments and memberships
needs ``identity.manage`` (tenant admins). Every member manages their own API
tokens; admins also those of others.
"""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from marshmallow import Schema, fields, validate

from designer import auth, runtime
from designer.api.examples import identity as ex
from designer.api.operation import blueprint, operation
from designer.api.schemas import (
    PageQuery,
    Request,
    Timestamp,
    ident,
    labels,
    page_body,
    page_schema,
    text,
)
from engine.errors import NotFound
from engine.services import identity, queries
from engine.services.identity import Principal
from engine.store import Store

blp = blueprint("identity", "Tenants, users, memberships, roles, departments, API tokens")
ID = "int(min=1, max=9223372036854775807)"
ROLE_KEY = text(63)
CODE = text(63)


def _store() -> Store:
    return runtime(current_app).store


def _ctx(principal: Principal) -> Any:
    return auth.call_context(principal)


# schemas ---------------------------------------------------------------------------------

class TenantOut(Schema):
    id = fields.Integer(required=True)
    slug = fields.String(required=True)
    name = fields.String(required=True)


class MemberOut(Schema):
    id = fields.Integer(required=True, metadata={"description": "the user's id"})
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    email = fields.String(allow_none=True)
    is_active = fields.Boolean(required=True)
    is_admin = fields.Boolean(required=True)
    status = fields.String(required=True)
    department_id = fields.Integer(allow_none=True)
    department = fields.String(allow_none=True)
    roles = fields.List(fields.String(), required=True)
    created_at = fields.DateTime(required=True)
    last_login_at = fields.DateTime(allow_none=True)


class NewUserOut(Schema):
    id = fields.Integer(required=True)
    username = fields.String(required=True)
    display_name = fields.String(required=True)
    is_admin = fields.Boolean(required=True)
    roles = fields.List(fields.String(), required=True)
    password = fields.String(metadata={"description": "only when generated: shown once"})


class MemberQuery(PageQuery):
    q = text(100, metadata={"description": "part of the username or display name"})
    role = ROLE_KEY
    department_id = ident(strict=False)
    admin = fields.Boolean()


class NewUser(Request):
    username = text(150, required=True, metadata={"example": "li.lei"})
    password = fields.String(validate=validate.Length(1, 1024), load_only=True, metadata={
        "description": "at least 10 characters; leave out to have one generated"})
    display_name = text(200, metadata={"example": "李雷"})
    email = fields.Email(validate=validate.Length(max=320))
    admin = fields.Boolean(load_default=False)
    department = CODE
    roles = fields.List(ROLE_KEY, validate=validate.Length(max=20), load_default=list)


class MembershipPatch(Request):
    department = text(63, required=True, allow_none=True,
                      metadata={"description": "department code, or null for none"})


class RoleGrant(Request):
    role = text(63, required=True)


class RoleOut(Schema):
    id = fields.Integer(required=True)
    key = fields.String(required=True)
    labels = fields.Dict(keys=fields.String(), values=fields.String(), required=True)


class NewRole(Request):
    key = text(63, required=True, metadata={"example": "storekeeper"})
    labels = labels(load_default=dict)


class DepartmentOut(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    labels = fields.Dict(keys=fields.String(), values=fields.String(), required=True)
    parent_id = fields.Integer(allow_none=True)
    head_user_id = fields.Integer(allow_none=True)


class DepartmentQuery(PageQuery):
    parent_id = ident(strict=False)


class NewDepartment(Request):
    code = text(63, required=True, metadata={"example": "sales"})
    labels = labels(load_default=dict)
    parent = text(63, metadata={"description": "parent department code"})
    head = text(150, metadata={"description": "username of the head"})


class TokenOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True)
    user_id = fields.Integer(required=True)
    username = fields.String(required=True)
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)


class NewTokenOut(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    user_id = fields.Integer(required=True)
    token = fields.String(required=True, metadata={
        "description": "the secret: shown once, store it now"})


class TokenQuery(PageQuery):
    user_id = ident(strict=False)
    include_revoked = fields.Boolean(load_default=False)


class NewToken(Request):
    name = text(200, required=True, metadata={"example": "POS store 12"})
    expires_at = Timestamp()
    user_id = ident(metadata={"description": "admins only: make a token for another user"})


Members = page_schema(MemberOut, "MemberPage")
Roles = page_schema(RoleOut, "RolePage")
Departments = page_schema(DepartmentOut, "DepartmentPage")
Tokens = page_schema(TokenOut, "TokenPage")


# tenants ---------------------------------------------------------------------------------

@blp.route("/tenants")
class TenantsView(MethodView):
    @operation(blp, auth.ADMIN)
    @blp.response(200, TenantOut(many=True), example=ex.TENANTS)
    def get(self) -> Any:
        """Tenants you administer through this credential (the credential's own tenant)"""
        principal = auth.api_principal()
        return [identity.get_tenant(_store(), principal.tenant_slug)]


# users -----------------------------------------------------------------------------------

@blp.route("/users")
class UsersView(MethodView):
    @operation(blp, "identity.view")
    @blp.arguments(MemberQuery, location="query")
    @blp.response(200, Members, example=ex.MEMBERS)
    def get(self, args: dict[str, Any]) -> Any:
        """Members of your tenant (filters: q, role, department_id, admin)"""
        principal = auth.api_principal()
        return page_body(queries.members(
            _store(), principal.tenant_id, q=args.get("q"), role=args.get("role"),
            department_id=args.get("department_id"), admin=args.get("admin"),
            after=args.get("cursor"), limit=args["limit"]))

    @operation(blp, auth.ADMIN, errors=(404, 409))
    @blp.arguments(NewUser, example=ex.NEW_USER)
    @blp.response(201, NewUserOut, example=ex.NEW_USER_OUT)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a user in your tenant (a password is generated when none is given)"""
        principal = auth.api_principal()
        new = identity.create_user(
            _store(), principal.tenant_slug, data["username"], password=data.get("password"),
            display_name=data.get("display_name"), email=data.get("email"),
            admin=data["admin"], department=data.get("department"),
            roles=tuple(data["roles"]), ctx=_ctx(principal))
        p = new.principal
        body = {"id": p.user_id, "username": p.username, "display_name": p.display_name,
                "is_admin": p.is_admin, "roles": list(p.roles)}
        if new.password:
            body["password"] = new.password
        return body, 201, {"Location": f"/api/v1/users/{p.user_id}"}


@blp.route(f"/users/<{ID}:user_id>")
class UserView(MethodView):
    @operation(blp, "identity.view", errors=(404,))
    @blp.response(200, MemberOut, example=ex.MEMBER)
    def get(self, user_id: int) -> Any:
        """One member of your tenant"""
        return queries.member(_store(), auth.api_principal().tenant_id, user_id)


@blp.route(f"/users/<{ID}:user_id>/membership")
class MembershipView(MethodView):
    @operation(blp, auth.ADMIN, errors=(404,))
    @blp.arguments(MembershipPatch, example=ex.MEMBERSHIP)
    @blp.response(200, MemberOut, example=ex.MOVED)
    def patch(self, data: dict[str, Any], user_id: int) -> Any:
        """Move a member to a department (or none)"""
        principal, store = auth.api_principal(), _store()
        member = queries.member(store, principal.tenant_id, user_id)
        identity.set_membership(store, principal.tenant_slug, member.username,
                                department=data["department"], ctx=_ctx(principal))
        return queries.member(store, principal.tenant_id, user_id)


@blp.route(f"/users/<{ID}:user_id>/roles")
class UserRolesView(MethodView):
    @operation(blp, auth.ADMIN, errors=(404,))
    @blp.arguments(RoleGrant, example=ex.ROLE_GRANT)
    @blp.response(200, MemberOut, example=ex.GRANTED)
    def post(self, data: dict[str, Any], user_id: int) -> Any:
        """Grant a role to a member (granting it again changes nothing)"""
        principal, store = auth.api_principal(), _store()
        member = queries.member(store, principal.tenant_id, user_id)
        identity.grant_role(store, principal.tenant_slug, member.username, data["role"],
                            ctx=_ctx(principal))
        return queries.member(store, principal.tenant_id, user_id)


# roles and departments -------------------------------------------------------------------

@blp.route("/roles")
class RolesView(MethodView):
    @operation(blp, "identity.view")
    @blp.arguments(PageQuery, location="query")
    @blp.response(200, Roles, example=ex.ROLES)
    def get(self, args: dict[str, Any]) -> Any:
        """Roles of your tenant"""
        return page_body(queries.roles(_store(), auth.api_principal().tenant_id,
                                       after=args.get("cursor"), limit=args["limit"]))

    @operation(blp, auth.ADMIN, errors=(409,))
    @blp.arguments(NewRole, example=ex.NEW_ROLE)
    @blp.response(201, RoleOut, example=ex.ROLE)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a role (its key may be a permission name, see docs/api.md)"""
        principal = auth.api_principal()
        role_id = identity.create_role(_store(), principal.tenant_slug, data["key"],
                                       data["labels"], ctx=_ctx(principal))
        return {"id": role_id, "key": data["key"], "labels": data["labels"]}


@blp.route("/departments")
class DepartmentsView(MethodView):
    @operation(blp, "identity.view")
    @blp.arguments(DepartmentQuery, location="query")
    @blp.response(200, Departments, example=ex.DEPARTMENTS)
    def get(self, args: dict[str, Any]) -> Any:
        """Departments of your tenant (a tree through parent_id)"""
        return page_body(queries.departments(
            _store(), auth.api_principal().tenant_id, parent_id=args.get("parent_id"),
            after=args.get("cursor"), limit=args["limit"]))

    @operation(blp, auth.ADMIN, errors=(404, 409))
    @blp.arguments(NewDepartment, example=ex.NEW_DEPARTMENT)
    @blp.response(201, DepartmentOut, example=ex.DEPARTMENT)
    def post(self, data: dict[str, Any]) -> Any:
        """Create a department, optionally under a parent and with a head"""
        principal, store = auth.api_principal(), _store()
        dept_id = identity.create_department(
            store, principal.tenant_slug, data["code"], data["labels"],
            parent=data.get("parent"), head=data.get("head"), ctx=_ctx(principal))
        return queries.department(store, principal.tenant_id, dept_id)


# API tokens ------------------------------------------------------------------------------

def _own_or_admin(principal: Principal, user_id: int) -> None:
    if user_id != principal.user_id and not principal.is_admin:
        raise auth.denied(auth.ADMIN)


def _visible_token(principal: Principal, token_id: int) -> queries.TokenInfo:
    found = queries.token(_store(), principal.tenant_id, token_id)
    if found.user_id != principal.user_id and not principal.is_admin:
        raise NotFound.of("token.not_found", f"No API token {token_id}",
                                  f"API 令牌 {token_id} 不存在", path="token_id")
    return found


@blp.route("/tokens")
class TokensView(MethodView):
    @operation(blp, None)
    @blp.arguments(TokenQuery, location="query")
    @blp.response(200, Tokens, example=ex.TOKENS)
    def get(self, args: dict[str, Any]) -> Any:
        """API tokens: your own, or (admins) anyone's in the tenant; secrets never shown"""
        principal = auth.api_principal()
        user_id = args.get("user_id")
        if user_id is not None:
            _own_or_admin(principal, user_id)
        elif not principal.is_admin:
            user_id = principal.user_id
        return page_body(queries.tokens(
            _store(), principal.tenant_id, user_id=user_id,
            include_revoked=args["include_revoked"], after=args.get("cursor"),
            limit=args["limit"]))

    @operation(blp, None, errors=(404,))
    @blp.arguments(NewToken, example=ex.NEW_TOKEN)
    @blp.response(201, NewTokenOut, example=ex.NEW_TOKEN_OUT)
    def post(self, data: dict[str, Any]) -> Any:
        """Create an API token (the secret is in this response only)"""
        principal, store = auth.api_principal(), _store()
        user_id = data.get("user_id", principal.user_id)
        _own_or_admin(principal, user_id)
        username = queries.member(store, principal.tenant_id, user_id).username \
            if user_id != principal.user_id else principal.username
        new = identity.create_token(store, principal.tenant_slug, username, data["name"],
                                    expires_at=data.get("expires_at"), ctx=_ctx(principal))
        return ({"id": new.id, "name": new.name, "user_id": user_id, "token": new.token}, 201,
                {"Location": f"/api/v1/tokens/{new.id}"})


@blp.route(f"/tokens/<{ID}:token_id>")
class TokenView(MethodView):
    @operation(blp, None, errors=(404,))
    @blp.response(200, TokenOut, example=ex.TOKEN)
    def get(self, token_id: int) -> Any:
        """One API token (without its secret)"""
        return _visible_token(auth.api_principal(), token_id)

    @operation(blp, None, errors=(404,))
    @blp.response(204)
    def delete(self, token_id: int) -> Any:
        """Revoke an API token (revoking again changes nothing)"""
        principal = auth.api_principal()
        _visible_token(principal, token_id)
        identity.revoke_token(_store(), principal.tenant_slug, token_id, ctx=_ctx(principal))
        return None
