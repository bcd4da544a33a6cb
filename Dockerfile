FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app

# The run-time set only: test and profiling tools are in requirements/dev.txt.
COPY requirements/base.txt requirements/base.txt
RUN pip install -r requirements/base.txt

COPY . .
# Static files (admin, API docs) are collected into the image and served by WhiteNoise. Settings
# refuse to load without a SECRET_KEY when DEBUG is off; this one is for this command only.
RUN SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput
# Uploads live on a volume mounted at /app/var/media (docker-compose.yml), owned by the app user.
RUN useradd --create-home app && mkdir -p /app/var/media /app/var/metrics && chown -R app /app/var
USER app

EXPOSE 8000
CMD ["python", "-m", "config.serve"]
