from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


def seed_files() -> list[Path]:
    files = []
    for directory in settings.FIXTURE_DIRS:
        files.extend(sorted(Path(directory).glob("*.yaml")))
    return files


class Command(BaseCommand):
    help = "Load the seed data in fixtures/ (natural keys: loading it again changes nothing)."

    def handle(self, *args, **options):
        files = seed_files()
        if not files:
            self.stdout.write("No seed data in fixtures/ yet; nothing to load.")
            return
        # One loaddata call, one transaction: a broken file loads nothing, and
        # natural-key references between files resolve in any order.
        call_command("loaddata", *[str(f) for f in files], verbosity=options["verbosity"])
