FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
# Which release this image runs (config/release.py): given as a build argument (a commit,
# a version), or else a digest of the code copied here (.git is not in the image).
ARG RELEASE_ID=""
RUN RELEASE_ID="$RELEASE_ID" python -m config.release write
# Static files are part of the image (hashed names, compressed), collected once here
# rather than on every start. The settings need a key and a database URL to load; the
# build connects to no database and the key is thrown away.
RUN DJANGO_ENV=production DJANGO_SECRET_KEY=collectstatic-at-build-only \
    DATABASE_URL=postgres://build@build.invalid/build \
    python manage.py collectstatic --noinput --verbosity 0
RUN useradd --system --home-dir /app app
USER app

EXPOSE 8000
CMD ["/app/docker/entrypoint.sh"]
