import time

from django.core.management.base import BaseCommand
from django.db import connection, transaction

from alliance.public import maintained


class Command(BaseCommand):
    help = (
        "Recompute every meeting's stored export row (CSV cells, JSON object, attendee and "
        "document labels). A repair: triggers keep them up to date on every write."
    )

    def handle(self, *args, **options):
        started = time.monotonic()
        with transaction.atomic():
            maintained.install(connection)
            maintained.rebuild(connection)
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {maintained.TABLE}")
            (rows,) = cursor.fetchone()
        self.stdout.write(f"{rows} meeting export rows recomputed in {time.monotonic() - started:.1f}s.")
