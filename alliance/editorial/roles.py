"""The editorial roles, as auth groups.

- 編集者 (editors): view, add and change every registry record, import and export.
  What they create starts as a draft.
- 公開担当 (publishers): what editors may, plus publish / unpublish and delete.

Give a person a role in the admin (ユーザー → グループ) or with
``manage.py grant_role <username> editors|publishers``.
"""

EDITORS = "editors"
PUBLISHERS = "publishers"
ROLE_NAMES = {EDITORS: "編集者", PUBLISHERS: "公開担当"}

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
    for name, codenames in role_codenames().items():
        group, _ = Group.objects.using(using).get_or_create(name=name)
        perms = Permission.objects.using(using).filter(content_type__app_label="alliance", codename__in=codenames)
        found = set(perms.values_list("codename", flat=True))
        missing = codenames - found
        if missing:
            raise RuntimeError(f"permissions not found for role {name}: {sorted(missing)}")
        group.permissions.set(perms)
