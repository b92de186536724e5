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

CURATED = [
    "source",
    "organization",
    "post",
    "person",
    "tenure",
    "agreement",
    "agreementrelation",
    "body",
    "membership",
    "meeting",
    "participation",
    "meetingdocument",
    "citation",
]
WITH_STATUS = ["organization", "post", "person", "tenure", "agreement", "body", "membership", "meeting"]


def role_codenames() -> dict[str, set[str]]:
    editors = {f"{action}_{model}" for model in CURATED for action in ("view", "add", "change")}
    # Reading the history of records is part of editing them.
    editors |= {f"view_historical{model}" for model in CURATED}
    publishers = editors | {f"delete_{model}" for model in CURATED} | {f"publish_{model}" for model in WITH_STATUS}
    return {EDITORS: editors, PUBLISHERS: publishers}


def sync_roles(apps, using="default"):
    """Create the groups and give them exactly their permissions (idempotent)."""
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
