from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Bring the database up to date: migrate, load the seed data, make the local editor account."

    def add_arguments(self, parser):
        parser.add_argument("--no-editor", action="store_true", help="Do not create the local editor account.")
        parser.add_argument("--site-url", default="http://127.0.0.1:8000", help="Where the site is served.")

    def handle(self, *args, no_editor=False, site_url="http://127.0.0.1:8000", **options):
        call_command("migrate", interactive=False, verbosity=0)
        self.stdout.write("Database migrated.")
        call_command("seed", verbosity=1, stdout=self.stdout)
        if not no_editor:
            # The one person on a local machine: edits, publishes and manages accounts.
            call_command("ensure_editor", site_url=site_url, administrator=True, stdout=self.stdout)
