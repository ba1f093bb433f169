"""`manage.py evaluate_recognition`: the issue-4 protocol on a folder of labelled photos.

A fixed interface other tools call; the work is recognition.engine.evaluate.evaluate.
"""

from argparse import ArgumentParser
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from recognition.engine.engines import ENGINES
from recognition.engine.evaluate import evaluate, format_table, to_json


class Command(BaseCommand):
    help = "Measure recognition accuracy and speed on DIR (one folder of photos per identity)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--dataset", required=True, type=Path, metavar="DIR")
        parser.add_argument("--engine", default="default", choices=sorted(ENGINES))
        parser.add_argument("--enrol-per-person", type=int, default=5, metavar="N")
        parser.add_argument("--strangers", type=float, default=0.3, metavar="F")
        parser.add_argument("--splits", type=int, default=5, metavar="K")
        parser.add_argument("--seed", type=int, default=0, metavar="S")
        parser.add_argument("--far-target", type=float, default=0.01, metavar="T")
        parser.add_argument(
            "--accept", type=float, default=None, help="accept threshold (engine default if unset)"
        )
        parser.add_argument("--json", required=True, type=Path, metavar="OUT")

    def handle(self, *args: object, **options: object) -> None:
        dataset: Path = options["dataset"]
        if not dataset.is_dir():
            raise CommandError(f"{dataset} is not a folder.")
        if not 0 <= options["strangers"] < 1:
            raise CommandError("--strangers must be a fraction in [0, 1).")

        def progress(done: int, total: int) -> None:
            if done == total or done % 25 == 0:
                self.stderr.write(f"\ranalysed {done}/{total} images", ending="")
                if done == total:
                    self.stderr.write("")

        try:
            result = evaluate(
                dataset,
                engine=options["engine"],
                enrol_per_person=options["enrol_per_person"],
                strangers=options["strangers"],
                splits=options["splits"],
                seed=options["seed"],
                far_target=options["far_target"],
                accept=options["accept"],
                progress=progress,
            )
        except ValueError as error:
            raise CommandError(str(error)) from error
        out: Path = options["json"]
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(to_json(result) + "\n")
        self.stdout.write(format_table(result))
        self.stdout.write(f"JSON written to {out}")
