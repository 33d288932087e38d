#!/bin/sh
# Runs once, when the PostgreSQL volume is created: the application's own role.
# It owns nothing, so row-level security binds it (see engine/store/tenancy.py);
# `flowledger db grant flowledger_app` (the migrate service) gives it the tables.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" <<SQL
CREATE ROLE flowledger_app LOGIN PASSWORD '${APP_DB_PASSWORD}' NOSUPERUSER NOBYPASSRLS;
SQL
