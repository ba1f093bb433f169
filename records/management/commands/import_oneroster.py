"""`python manage.py import_oneroster FILE --organisation SLUG [--dry-run]`."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from accounts.errors import DomainError
from accounts.models import Organisation
from accounts.scoping import organisation_scope
from records import oneroster, services


class Command(BaseCommand):
    help = "Import a OneRoster 1.2 CSV bundle (zip) into one school, all or nothing."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="the bundle: a .zip with the CSV files")
        parser.add_argument("--organisation", required=True, help="the school's slug")
        parser.add_argument(
            "--dry-run", action="store_true", help="show what would change; write nothing"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path: Path = options["file"]
        self.verbosity = options["verbosity"]
        try:
            organisation = Organisation.objects.get(slug=options["organisation"])
        except Organisation.DoesNotExist as error:
            raise CommandError(f"No school has the slug “{options['organisation']}”.") from error
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        if path.stat().st_size > oneroster.MAX_ZIP_BYTES:
            raise CommandError(oneroster.TOO_BIG)
        data = path.read_bytes()
        with organisation_scope(organisation):
            try:
                if options["dry_run"]:
                    plan = services.roster_preview(organisation=organisation, data=data)
                else:
                    plan = services.roster_import(
                        organisation=organisation, data=data, progress=self._progress
                    )
            except services.RosterInvalid as error:
                for problem in oneroster.problems_summary(error.problems):
                    self.stderr.write(str(problem))
                raise CommandError(f"{error.message} Nothing was imported.") from error
            except DomainError as error:
                raise CommandError(error.message) from error
        verb = "Would" if options["dry_run"] else "Did"
        for kind, actions in plan.counts.items():
            figures = ", ".join(f"{action} {count}" for action, count in actions.items())
            self.stdout.write(f"{kind}: {figures}")
        self.stdout.write(
            self.style.SUCCESS(f"{verb} write {plan.writes} change(s) to {organisation.name}.")
        )

    def _progress(self, done: int, total: int) -> None:
        if self.verbosity > 1:
            self.stdout.write(f"{done}/{total}")
