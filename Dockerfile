FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PRWARDEN_DATA_DIR=/data \
    PORT=3000

WORKDIR /app
RUN apt-get update \
    && apt-get install -y --no-install-recommends git \
    && rm -rf /var/lib/apt/lists/*
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY rules ./rules
RUN pip install --no-cache-dir . \
    && useradd --create-home --uid 10001 prwarden \
    && mkdir -p /data && chown prwarden /data

ENV PRWARDEN_RULES_DIR=/app/rules/owasp
USER prwarden
VOLUME ["/data"]
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD python -c "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('PORT', '3000'), timeout=2)"
CMD ["prwarden", "serve"]
