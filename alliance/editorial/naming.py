"""Names and slugs the registry makes when an editor leaves them blank: one rule for every
path that creates records (the guided form, the intake, imports)."""

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
