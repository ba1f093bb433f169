"""The Celery base task: the scope point for background work."""

from typing import Any

from celery import Task

from accounts.models import Organisation
from accounts.scoping import organisation_scope


class OrganisationTask(Task):
    """Runs the task body inside the scope of the school named by `organisation_id`.

    Tasks take ids, never objects, images or vectors, so that a message on the broker holds no
    personal data. A task bound to this base must be called with `organisation_id=` by keyword.
    """

    abstract = True

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        organisation_id = kwargs.get("organisation_id")
        if organisation_id is None:
            raise TypeError(f"{self.name} needs organisation_id= as a keyword argument")
        organisation = Organisation.objects.get(pk=organisation_id)
        with organisation_scope(organisation):
            return super().__call__(*args, **kwargs)
