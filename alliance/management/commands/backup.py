from pathlib import Path

from django.core.management.base import BaseCommand

from alliance.dbtools import run


class Command(BaseCommand):
    help = "Back up the whole database (registry, history, accounts) to one file with pg_dump -Fc."

    def add_arguments(self, parser):
        parser.add_argument("file", help="Where to write the dump, e.g. backup-2026-11-22.dump")

    def handle(self, *args, file, **options):
        path = Path(file).resolve()
        run("pg_dump", "--format=custom", "--no-owner", "--no-privileges", "--file", str(path))
        self.stdout.write(f"Backed up to {path} ({path.stat().st_size:,} bytes). Restore with: manage.py restore {file}")
