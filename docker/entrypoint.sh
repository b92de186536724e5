#!/bin/sh
# Container start: wait for PostgreSQL, migrate, add missing seed data (never
# overwrites an edit), then serve with gunicorn. Static files were collected when
# the image was built.
set -eu
python manage.py wait_for_db --timeout "${DB_WAIT_SECONDS:-60}"
python manage.py migrate --noinput
python manage.py seed
# Forwarded headers (X-Forwarded-Proto …) are trusted only from the proxy's address.
exec gunicorn config.wsgi:application \
    --bind "0.0.0.0:${PORT:-8000}" \
    --workers "${GUNICORN_WORKERS:-3}" \
    --timeout "${GUNICORN_TIMEOUT:-60}" \
    --access-logfile - \
    --forwarded-allow-ips "${FORWARDED_ALLOW_IPS:-127.0.0.1}"
