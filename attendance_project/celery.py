"""The Celery app. Tasks that touch a school's data use accounts.tasks.OrganisationTask."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "attendance_project.settings")

app = Celery("attendance_project")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
