FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app
COPY requirements.txt .
RUN pip install --no-cache-dir -r requirements.txt

COPY . .
RUN useradd --system --home-dir /app app && mkdir -p /app/staticfiles && chown app /app/staticfiles
USER app

EXPOSE 8000
CMD ["/app/docker/entrypoint.sh"]
