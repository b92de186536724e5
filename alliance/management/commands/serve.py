import os

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django.db import connections


class Command(BaseCommand):
    help = "Set up the local database (migrate, seed, editor account) and serve the site with runserver."

    def add_arguments(self, parser):
        parser.add_argument("addrport", nargs="?", default="127.0.0.1:8000")

    def handle(self, *args, addrport, **options):
        # runserver's autoreloader re-runs this command in a child process; the
        # set-up belongs to the parent only. The parent's connection also keeps the
        # embedded database held across code reloads, and its exit (Ctrl-C) frees it.
        if os.environ.get("RUN_MAIN") != "true":
            call_command("setup_local", site_url=f"http://{addrport}")
            connections.close_all()
        call_command("runserver", addrport)
