#!/usr/bin/env bash
# Back up the PostgreSQL database named by DATABASE_URL (pg_dump custom format)
# and the files under MEDIA_ROOT into backups/<UTC timestamp>/, with checksums.
# Usage: DATABASE_URL=postgres://... scripts/backup.sh   (BACKUP_ROOT to change
# where backups go). Prints the new backup's folder on its last line.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
export DJANGO_SETTINGS_MODULE=${DJANGO_SETTINGS_MODULE:-alliance_procurement.settings}

url=${DATABASE_URL:-}
case "$url" in
  postgres://*|postgresql://*|pgsql://*|psql://*) ;;
  "")
    echo "backup: DATABASE_URL is not set, so the app runs on its embedded SQLite file." >&2
    echo "backup: backups are for PostgreSQL deployments; set DATABASE_URL=postgres://..." >&2
    exit 2 ;;
  *)
    echo "backup: only PostgreSQL is backed up (DATABASE_URL=postgres://...), not '${url%%://*}'." >&2
    exit 2 ;;
esac
# libpq understands postgresql://; django-environ also accepts other spellings.
libpq_url="postgresql://${url#*://}"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
target="${BACKUP_ROOT:-backups}/$stamp"
mkdir -p "$target"
chmod 700 "$target"

pg_dump --format=custom --no-owner --no-privileges --file "$target/database.dump" \
  --dbname "$libpq_url"

# MEDIA_ROOT as the app sees it; object storage (S3) keeps its own versions.
media_root=$("$PY" -c 'import django; from django.conf import settings; django.setup(); print("" if settings.STORAGES["default"]["BACKEND"].startswith("storages.") else settings.MEDIA_ROOT)' | tail -n 1)
if [ -n "$media_root" ] && [ -d "$media_root" ]; then
  tar -C "$media_root" -czf "$target/media.tar.gz" .
else
  echo "backup: no local media folder to back up (${media_root:-object storage})." >&2
fi

git rev-parse HEAD > "$target/code-version.txt" 2>/dev/null || true
( cd "$target" && sha256sum -- * > SHA256SUMS )
echo "backup: written to $target"
echo "$target"
