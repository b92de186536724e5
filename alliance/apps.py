from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def sync_from_registry(sender, using="default", apps=None, **kwargs):
    """After every migrate (and flush): what is derived from the models' REGISTRY and
    from the one cell format, brought up to date in the database — the data-version
    triggers, the export's SQL functions, the meetings' stored export rows (their
    triggers; the rows recomputed if their columns changed), the meetings' kept totals by
    body and kind, the triggers that close a deleted record's pending revisions, and the
    editorial roles."""
    from django.apps import apps as global_apps
    from django.db import connections

    from .editorial.roles import sync_roles
    from .models import REGISTRY
    from .models.revisions import install_close_on_delete_triggers
    from .models.versioning import install_version_triggers
    from .public import maintained, tally
    from .public.cells import install_sql_functions

    connection = connections[using]
    install_version_triggers(connection, REGISTRY)
    install_close_on_delete_triggers(connection, REGISTRY)
    install_sql_functions(connection)
    maintained.install(connection)
    tally.install(connection)
    sync_roles(global_apps, using=using)


class AllianceConfig(AppConfig):
    name = "alliance"
    verbose_name = _("日米同盟レジストリ")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        from . import checks  # noqa: F401  (registers the database checks)

        post_migrate.connect(sync_from_registry, sender=self, dispatch_uid="alliance.sync_from_registry")
