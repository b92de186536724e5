"""Names and slugs the registry makes when an editor leaves them blank: one rule for every
path that creates records (the guided form, the intake, imports)."""

from django.core.exceptions import ObjectDoesNotExist

from .forms import suggest_slug


def meeting_name_ja(body, session_number=None, kind="") -> str:
    """As the seed data names meetings: 「第16回日米安全保障協議委員会」, or the body's name
    alone when no session is stated."""
    base = body.name_ja if body is not None else ""
    if session_number:
        return f"第{session_number}回{base}"
    return base


def fallback_slug(model, data, instance, stem: str) -> str:
    """suggest_slug, or ``stem`` made unique when there is nothing Latin to make one from."""
    return suggest_slug(model, data, instance) or suggest_slug(model, {"name_en": stem}, instance)


# What suggest_slug reads, for any model: related records and the names and dates.
_SLUG_RELATIONS = ("body", "post", "person", "organization")
_SLUG_VALUES = ("side", "start", "name_en", "abbreviation", "title_en", "year")


def fill_blank_names(instance) -> None:
    """A new record's blank Japanese name (a meeting's, made from its body and session) and
    blank slug, by the rule the guided form and the intake use: an import row may leave
    them blank as those forms may."""
    from ..models import Meeting

    if isinstance(instance, Meeting) and not instance.name_ja and instance.body_id:
        instance.name_ja = meeting_name_ja(instance.body, instance.session_number, instance.kind)
    if hasattr(instance, "slug") and not instance.slug:
        data = {}
        for name in _SLUG_RELATIONS:
            try:
                data[name] = getattr(instance, name, None)
            except ObjectDoesNotExist:
                data[name] = None
        for name in _SLUG_VALUES:
            data[name] = getattr(instance, name, None)
        # Nothing Latin to make one from (a person known only in Japanese): the model's
        # name made unique, as the intake does, rather than a row refused for a blank slug.
        instance.slug = fallback_slug(type(instance), data, instance, type(instance)._meta.model_name)
