FROM python:3.11-slim-bookworm
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 MODAI_DATA_DIR=/data
WORKDIR /app
COPY pyproject.toml ./
RUN pip install --no-cache-dir . && rm -rf build *.egg-info
COPY . .
RUN MODAI_STATIC_ROOT=/app/staticfiles python manage.py collectstatic --noinput -v0 && useradd --create-home modai \
    && mkdir -p /data && chown modai /data
ENV MODAI_STATIC_ROOT=/app/staticfiles
USER modai
EXPOSE 8000
CMD ["python", "-m", "gunicorn", "modai.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--no-control-socket"]
