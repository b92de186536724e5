"""The one publishing rule: only a publisher changes what the public sees.

An editor's new record is a draft, and an editor cannot change a record's status. The
admin's forms and actions and the import resources all ask ``may_set_status``.
"""

from ..models import Status


def can_publish(user, model) -> bool:
    """The user holds the publish permission of ``model`` (publishers do; see roles.py)."""
    return user is not None and user.has_perm(f"alliance.publish_{model._meta.model_name}")


def stored_status(instance) -> str | None:
    """The status the record has in the database (None for a new record)."""
    if instance.pk is None:
        return None
    return type(instance)._default_manager.filter(pk=instance.pk).values_list("status", flat=True).first()


def allowed_status(user, instance) -> str:
    """The status ``instance`` may have when ``user`` saves it."""
    if can_publish(user, type(instance)):
        return instance.status
    return stored_status(instance) or Status.DRAFT


def may_set_status(user, instance) -> bool:
    """Whether ``user`` may save ``instance`` with the status it carries. A script run
    with no user (``import_file`` without ``--user``) is trusted like the shell."""
    return user is None or instance.status == allowed_status(user, instance)
