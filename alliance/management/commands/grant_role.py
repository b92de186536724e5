from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

from alliance.editorial.roles import EDITORS, PUBLISHERS, ROLE_NAMES, ROLES


class Command(BaseCommand):
    help = (
        "Give a user a role (editors: edit and import; publishers: also publish and delete; "
        "administrators: add accounts and give them roles in the admin)."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("role", choices=ROLES)
        parser.add_argument("--remove", action="store_true", help="Take the role away instead.")

    def handle(self, *args, username, role, remove, **options):
        try:
            user = get_user_model().objects.get(username=username)
        except get_user_model().DoesNotExist as exc:
            raise CommandError(f"no user named {username!r}; create one with createsuperuser or ensure_editor") from exc
        group = Group.objects.get(name=role)
        if remove:
            user.groups.remove(group)
            self.stdout.write(f"{username}: no longer {role} ({ROLE_NAMES[role]})")
            return
        if not user.is_staff:
            user.is_staff = True
            user.save(update_fields=["is_staff"])
        user.groups.add(group)
        if role == PUBLISHERS:
            user.groups.add(Group.objects.get(name=EDITORS))
        self.stdout.write(f"{username}: now {role} ({ROLE_NAMES[role]})")
