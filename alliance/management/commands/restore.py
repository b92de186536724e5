from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import connections

from alliance.dbtools import restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `manage.py backup` into the configured database, replacing "
        "what is there (in one transaction: all or nothing). Works on PostgreSQL 15 to 18."
    )

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument("--yes", action="store_true", help="Do not ask before replacing the database.")

    def handle(self, *args, file, yes, **options):
        path = Path(file).resolve()
        if not path.is_file():
            raise CommandError(f"no such file: {path}")
        if not yes and input(f"Replace the contents of the database with {path.name}? [y/N] ").strip().lower() != "y":
            raise CommandError("restore cancelled")
        restore(path)
        connections.close_all()
        self.stdout.write(f"Restored {path}.")
