import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from alliance.editorial.roles import EDITORS, PUBLISHERS


class Command(BaseCommand):
    help = (
        "Create an editor account (staff, in the editors and publishers groups) if it does not "
        "exist and print its password once. Run again, it changes nothing; reset a lost password "
        "with `manage.py changepassword`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="editor")
        parser.add_argument("--email", default="")
        parser.add_argument("--site-url", default="http://127.0.0.1:8000")
        parser.add_argument(
            "--no-publish", action="store_true", help="Editors group only: may not publish or delete."
        )

    def handle(self, *args, username, email, site_url, no_publish, **options):
        User = get_user_model()
        if User.objects.filter(username=username).exists():
            self.stdout.write(
                f"Editor account '{username}' exists (its password was printed when it was made; "
                f"reset it with: .venv/bin/python manage.py changepassword {username})."
            )
            return
        password = secrets.token_urlsafe(12)
        user = User.objects.create_user(username=username, email=email, password=password, is_staff=True)
        roles = [EDITORS] if no_publish else [EDITORS, PUBLISHERS]
        user.groups.set(Group.objects.filter(name__in=roles))
        bar = "=" * 60
        self.stdout.write(
            f"{bar}\nEditor account created (shown only this once):\n"
            f"  username: {username}\n  password: {password}\n"
            f"  roles:    {', '.join(roles)}\n"
            f"  log in at: {site_url.rstrip('/')}/admin/\n{bar}"
        )
