"""The roles, as auth groups.

- 編集者 (editors): view, add and change every registry record, import and export.
  What they create starts as a draft.
- 公開担当 (publishers): what editors may, plus publish / unpublish and delete.
- 管理者 (administrators): add accounts and change them (name, e-mail, password,
  active or not) and give them roles; nothing more: not superuser status, not a raw
  permission, not a superuser's account (see admin/accounts.py).

Give a person a role in the admin (ユーザー → the account → 役割) or with
``manage.py grant_role <username> editors|publishers|administrators``.
"""

from django.utils.translation import gettext_lazy as _

EDITORS = "editors"
PUBLISHERS = "publishers"
ADMINISTRATORS = "administrators"
ROLES = (EDITORS, PUBLISHERS, ADMINISTRATORS)
ROLE_NAMES = {EDITORS: _("編集者"), PUBLISHERS: _("公開担当"), ADMINISTRATORS: _("管理者")}
ROLE_HELP = {
    EDITORS: _("記録の追加・変更、取込と書き出し。追加したものは下書きになります。"),
    PUBLISHERS: _("編集者のできることに加えて、公開・非公開の切り替えと削除。"),
    ADMINISTRATORS: _("アカウントの追加・変更（パスワード・有効かどうか）と役割の付与。"),
}

# An administrator's permissions: accounts and the list of roles. Not delete_user (an
# account that leaves is made inactive, so the history keeps its name), not add_group or
# change_group (what a role may do is the code's to say, in role_codenames).
ACCOUNT_CODENAMES = {"view_user", "add_user", "change_user", "view_group"}


def role_codenames() -> dict[str, set[str]]:
    """Each role's permission codenames, for every model in the registry."""
    from ..models import REGISTRY

    curated = [entry.model_name for entry in REGISTRY]
    editors = {f"{action}_{model}" for model in curated for action in ("view", "add", "change")}
    # Reading the history of records is part of editing them.
    editors |= {f"view_historical{model}" for model in curated}
    publishers = editors | {f"delete_{model}" for model in curated}
    publishers |= {f"publish_{entry.model_name}" for entry in REGISTRY if entry.publishable}
    # Editors see their proposed changes to published records; publishers apply them.
    editors |= {"view_revision", "view_changeset"}
    publishers |= {"view_revision", "change_revision", "view_changeset", "change_changeset"}
    return {EDITORS: editors, PUBLISHERS: publishers}


def role_permissions() -> dict[str, dict[str, set[str]]]:
    """Each role's permission codenames, by app label."""
    registry = role_codenames()
    return {
        EDITORS: {"alliance": registry[EDITORS]},
        PUBLISHERS: {"alliance": registry[PUBLISHERS]},
        ADMINISTRATORS: {"auth": ACCOUNT_CODENAMES},
    }


def sync_roles(apps, using="default"):
    """Create the groups and give them exactly their permissions (idempotent).

    Run after every migrate (see apps.py), so a model added to the registry gets its
    permissions in both roles without a migration of its own."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        # Permissions are normally made after all migrations; make them now. The
        # migration state's app configs say they have no models module, which
        # create_permissions takes as "nothing to do": say otherwise for the call only.
        previous = getattr(app_config, "models_module", None)
        app_config.models_module = previous or True
        try:
            create_permissions(app_config, apps=apps, verbosity=0, using=using)
        finally:
            app_config.models_module = previous
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    for name, by_app in role_permissions().items():
        group, _created = Group.objects.using(using).get_or_create(name=name)
        wanted = {(app_label, codename) for app_label, codenames in by_app.items() for codename in codenames}
        perms = Permission.objects.using(using).filter(
            content_type__app_label__in=by_app, codename__in={codename for _app, codename in wanted}
        )
        perms = [perm for perm in perms.select_related("content_type") if (perm.content_type.app_label, perm.codename) in wanted]
        missing = wanted - {(perm.content_type.app_label, perm.codename) for perm in perms}
        if missing:
            raise RuntimeError(f"permissions not found for role {name}: {sorted(missing)}")
        group.permissions.set(perms)
