#!/bin/sh
# Runs once, when the postgres image first initialises its volume: creates the role the hub
# serves as. It owns nothing; `hub db grant-app-role` (the migrate service) grants it the
# case record and append-only access to the audit tables.
set -eu
psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname "$POSTGRES_DB" \
  -v app_password="$HUB_APP_DB_PASSWORD" <<'SQL'
CREATE ROLE hub_app LOGIN PASSWORD :'app_password';
REVOKE CREATE ON SCHEMA public FROM PUBLIC;
SQL
