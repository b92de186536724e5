import time

from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.utils import OperationalError


class Command(BaseCommand):
    help = "Wait until the database accepts connections (for container start-up)."

    def add_arguments(self, parser):
        parser.add_argument("--timeout", type=float, default=60.0, help="Seconds to wait before giving up.")

    def handle(self, *args, timeout, **options):
        deadline = time.monotonic() + timeout
        while True:
            try:
                connection.ensure_connection()
            except OperationalError as exc:
                if time.monotonic() > deadline:
                    raise CommandError(f"Database not reachable after {timeout:.0f}s: {exc}") from exc
                time.sleep(1)
                continue
            self.stdout.write("Database is up.")
            return
