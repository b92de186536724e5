import secrets

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand

from alliance.editorial.roles import ADMINISTRATORS, EDITORS, PUBLISHERS


class Command(BaseCommand):
    help = (
        "Create an editor account (staff, in the editors and publishers groups) if it does not "
        "exist and print its password once. --no-publish: editors only; --administrator: also "
        "manages accounts and their roles in the admin (make run's local account is one). Run "
        "again, it changes nothing; reset a lost password with `manage.py changepassword`."
    )

    def add_arguments(self, parser):
        parser.add_argument("--username", default="editor")
        parser.add_argument("--email", default="")
        parser.add_argument("--site-url", default="http://127.0.0.1:8000")
        parser.add_argument(
            "--no-publish", action="store_true", help="Editors group only: may not publish or delete."
        )
        parser.add_argument(
            "--administrator",
            action="store_true",
            help="Also in the administrators group: adds accounts and gives them roles in the admin.",
        )

    def handle(self, *args, username, email, site_url, no_publish, administrator, **options):
        User = get_user_model()
        existing = User.objects.filter(username=username).first()
        if existing is not None:
            self.stdout.write(
                f"Editor account '{username}' exists (its password was printed when it was made; "
                f"reset it with: .venv/bin/python manage.py changepassword {username})."
            )
            if administrator and not existing.is_superuser and not existing.groups.filter(name=ADMINISTRATORS).exists():
                # Made before there was an administrators role: left as it is, but say how.
                self.stdout.write(
                    f"It may not manage accounts; to let it: .venv/bin/python manage.py grant_role {username} {ADMINISTRATORS}"
                )
            return
        password = secrets.token_urlsafe(12)
        user = User.objects.create_user(username=username, email=email, password=password, is_staff=True)
        roles = [EDITORS] if no_publish else [EDITORS, PUBLISHERS]
        if administrator:
            roles.append(ADMINISTRATORS)
        user.groups.set(Group.objects.filter(name__in=roles))
        bar = "=" * 60
        self.stdout.write(
            f"{bar}\nEditor account created (shown only this once):\n"
            f"  username: {username}\n  password: {password}\n"
            f"  roles:    {', '.join(roles)}\n"
            f"  log in at: {site_url.rstrip('/')}/admin/\n{bar}"
        )
