# One image for web, worker and beat; docker-compose.yml chooses the command.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    UV_PROJECT_ENVIRONMENT=/app/.venv \
    UV_COMPILE_BYTECODE=1 \
    PATH="/app/.venv/bin:$PATH"

# WeasyPrint needs Pango and HarfBuzz; fonts for the PDFs; pg_isready for start-up.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 libjpeg62-turbo \
        fonts-dejavu-core fonts-liberation postgresql-client \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app
RUN pip install --no-cache-dir uv==0.13.8
COPY pyproject.toml uv.lock ./
RUN uv sync --frozen --no-dev --no-install-project

COPY . .
RUN DJANGO_SECRET_KEY=collectstatic-only DJANGO_DEBUG=false DJANGO_STATIC_MANIFEST=true \
    python manage.py collectstatic --noinput -v 0

RUN useradd --create-home --uid 1000 alliance && mkdir -p /app/media && chown alliance /app/media
USER alliance

EXPOSE 8000
CMD ["gunicorn", "alliance_procurement.wsgi", "--bind", "0.0.0.0:8000", "--workers", "3"]
