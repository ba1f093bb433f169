# Celery must be imported with Django so that tasks bind to this app (and its result backend).
from .celery import app as celery_app

__all__ = ("celery_app",)
