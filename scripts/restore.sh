#!/usr/bin/env bash
# Restore a backup made by scripts/backup.sh into the PostgreSQL database named
# by DATABASE_URL (created if missing) and its media into MEDIA_ROOT.
# Usage: DATABASE_URL=postgres://... scripts/restore.sh backups/<timestamp>
# A database that already holds tables is replaced only with FORCE=1.
# Run it as the database's owner. The restored tables carry no grants: with
# DATABASE_APP_ROLE=<role> the application's role gets its own back
# (manage.py grant_app_role) before the restore is reported done.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-alliance_procurement.settings}

backup=${1:-}
if [ -z "$backup" ] || [ ! -f "$backup/database.dump" ]; then
  echo "restore: give a backup folder holding database.dump, e.g. make restore BACKUP=backups/20260101T020000Z" >&2
  exit 2
fi
url=${DATABASE_URL:-}
case "$url" in
  postgres://*|postgresql://*|pgsql://*|psql://*) ;;
  *)
    echo "restore: set DATABASE_URL=postgres://... : backups restore into PostgreSQL only." >&2
    exit 2 ;;
esac
libpq_url="postgresql://${url#*://}"

( cd "$backup" && sha256sum --check --quiet SHA256SUMS ) || {
  echo "restore: $backup fails its checksums; refusing to restore it." >&2
  exit 3
}

# The database name, and the same server's maintenance database to create it.
read -r dbname admin_url < <("$PY" - "$libpq_url" <<'PYEOF'
import sys
from urllib.parse import unquote, urlsplit, urlunsplit

parts = urlsplit(sys.argv[1])
print(unquote(parts.path.lstrip("/")), urlunsplit(parts._replace(path="/postgres")))
PYEOF
)
# Read from stdin, where psql substitutes :'name' as a quoted literal.
exists=$(psql "$admin_url" -tAX -v ON_ERROR_STOP=1 -v name="$dbname" \
  <<<"SELECT 1 FROM pg_database WHERE datname = :'name'")
if [ "$exists" != "1" ]; then
  echo "restore: creating database $dbname"
  createdb --maintenance-db="$admin_url" "$dbname"
else
  tables=$(psql "$libpq_url" -tAX -v ON_ERROR_STOP=1 \
    -c "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'" </dev/null)
  if [ "$tables" != "0" ] && [ "${FORCE:-0}" != "1" ]; then
    echo "restore: database $dbname already holds $tables tables; run again with FORCE=1 to replace them." >&2
    exit 4
  fi
fi

pg_restore --clean --if-exists --no-owner --no-privileges --single-transaction \
  --exit-on-error --dbname "$libpq_url" "$backup/database.dump"

if [ -n "${DATABASE_APP_ROLE:-}" ]; then
  DATABASE_URL="$url" "$PY" manage.py grant_app_role "$DATABASE_APP_ROLE" >/dev/null
  echo "restore: $DATABASE_APP_ROLE may read and write the tables again, and only read and add to the audit trail"
else
  echo "restore: the tables carry no grants; run manage.py grant_app_role <role> as the owner (or set DATABASE_APP_ROLE)" >&2
fi

if [ -f "$backup/media.tar.gz" ]; then
  media_root=$("$PY" -c 'import django; from django.conf import settings; django.setup(); print(settings.MEDIA_ROOT)' | tail -n 1)
  mkdir -p "$media_root"
  tar -C "$media_root" -xzf "$backup/media.tar.gz"
  echo "restore: media restored into $media_root"
fi
echo "restore: $backup restored into database $dbname"
