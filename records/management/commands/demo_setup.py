"""Create the demo schools once (re-running keeps the data) and print how to log in."""

from typing import Any

from django.core.management.base import BaseCommand

from records.demo import DEMO_PASSWORD, demo_create


class Command(BaseCommand):
    help = "Create 'Demo School' and 'Other School' with people, classes and students (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        created, logins = demo_create()
        self.stdout.write(
            self.style.SUCCESS("Demo schools created (Demo School with three weeks of registers).")
            if created
            else "Demo schools already exist."
        )
        self.stdout.write(f"\nLogins (password for all: {DEMO_PASSWORD})")
        for username, description in logins:
            self.stdout.write(f"  {username:<16} {description}")
