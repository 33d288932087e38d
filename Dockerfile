# Flowledger production image: the web app (gunicorn), RQ workers and the scheduler
# all run from this one image with different commands (see docker-compose.yml).
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 \
    FLOWLEDGER_INSTANCE_PATH=/var/lib/flowledger

WORKDIR /app
COPY pyproject.toml README.md ./
COPY engine ./engine
COPY designer ./designer
COPY templates_library ./templates_library
COPY plugins ./plugins
RUN pip install . && useradd --system --home /var/lib/flowledger flowledger \
    && mkdir -p /var/lib/flowledger && chown flowledger /var/lib/flowledger

USER flowledger
EXPOSE 8000
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "4", "designer.wsgi:app"]
