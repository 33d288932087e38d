"""WSGI entry point for gunicorn: ``gunicorn designer.wsgi:app``."""

from designer import create_app

app = create_app()
