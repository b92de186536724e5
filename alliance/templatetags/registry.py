from django import template
from django.utils.translation import get_language

from alliance.models import public

register = template.Library()


def _english():
    return (get_language() or "ja").startswith("en")


@register.filter
def loc(obj, stem):
    """``obj.<stem>_en`` in English when it is filled in, else ``obj.<stem>_ja`` (or
    ``obj.<stem>``, for fields whose Japanese column has no suffix: role, legal_basis_article)."""
    if obj is None:
        return ""
    if _english():
        value = getattr(obj, f"{stem}_en", "")
        if value:
            return value
    return getattr(obj, f"{stem}_ja", None) or getattr(obj, stem, "") or ""


@register.filter
def pd(value):
    """A partial date in the active language at its precision, with the ISO form for machines."""
    if value is None:
        return ""
    return value.display()


@register.filter
def visible(obj):
    """The record, or None when it is a draft the public must not see."""
    return public(obj)


@register.filter
def lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


@register.simple_tag(takes_context=True)
def query(context, **changes):
    """The list's current query string with some parameters changed."""
    return context["state"].query_string(**{k: (None if v == "" else v) for k, v in changes.items()})
