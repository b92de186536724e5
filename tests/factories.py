"""Test data builders, one per model, each with sensible defaults and a unique slug."""

import itertools

from alliance.models import (
    Agreement,
    Body,
    BodyLink,
    Citation,
    Event,
    Meeting,
    Organization,
    Participation,
    Person,
    Post,
    Seat,
    Source,
    Status,
    Tenure,
)
from alliance.partial_dates import PartialDate

_seq = itertools.count(1)


def _slug(prefix):
    return f"{prefix}-{next(_seq)}"


def _dates(kwargs):
    """Turn partial-date keyword arguments given as text ("2009-11") into field values."""
    out = {}
    for key, value in kwargs.items():
        if key in {"signed", "issued", "adopted", "approved", "in_force", "ended", "period_from", "period_until", "established", "start", "end"}:
            if value is None:
                out[f"{key}_date"], out[f"{key}_precision"], out[f"{key}_qualifier"] = None, "", ""
                continue
            value = PartialDate.parse(value) if isinstance(value, str) else value
            out[f"{key}_date"], out[f"{key}_precision"], out[f"{key}_qualifier"] = value.date, value.precision, value.qualifier
        else:
            out[key] = value
    return out


def make_source(**kw):
    defaults = {"slug": _slug("source"), "title_ja": "防衛白書", "publisher_ja": "防衛省", "file_name": "", "status": Status.PUBLISHED}
    return Source.objects.create(**{**defaults, **kw})


def make_organization(**kw):
    defaults = {"slug": _slug("org"), "name_ja": "外務省", "country": "jp", "status": Status.PUBLISHED}
    return Organization.objects.create(**{**defaults, **_dates(kw)})


def make_post(**kw):
    defaults = {"slug": _slug("post"), "name_ja": "外務大臣", "country": "jp", "status": Status.PUBLISHED}
    return Post.objects.create(**{**defaults, **_dates(kw)})


def make_person(**kw):
    defaults = {"slug": _slug("person"), "name_ja": "山田太郎", "country": "jp", "status": Status.PUBLISHED}
    return Person.objects.create(**{**defaults, **_dates(kw)})


def make_agreement(**kw):
    defaults = {"slug": _slug("agreement"), "name_ja": "日米地位協定", "kind": "agreement", "status": Status.PUBLISHED}
    return Agreement.objects.create(**{**defaults, **_dates(kw)})


def make_body(**kw):
    defaults = {"slug": _slug("body"), "name_ja": "日米安全保障協議委員会", "kind": "consultation", "status": Status.PUBLISHED}
    return Body.objects.create(**{**defaults, **_dates(kw)})


def make_seat(**kw):
    if not {"post", "organization", "person"} & kw.keys():
        kw["post"] = make_post()
    if "body" not in kw:
        kw["body"] = make_body()
    defaults = {"slug": _slug("seat"), "side": "jp", "status": Status.PUBLISHED}
    return Seat.objects.create(**{**defaults, **_dates(kw)})


def make_meeting(**kw):
    defaults = {"slug": _slug("meeting"), "name_ja": "日米「2+2」", "kind": "2plus2", "status": Status.PUBLISHED}
    return Meeting.objects.create(**{**defaults, **_dates(kw)})


def make_participation(**kw):
    if "meeting" not in kw:
        kw["meeting"] = make_meeting()
    if "position" not in kw:
        kw["position"] = kw["meeting"].participations.count() + 1
    defaults = {"side": "jp", "name_text": "関係省庁の代表", "status": Status.PUBLISHED}
    return Participation.objects.create(**{**defaults, **kw})


def make_citation(**kw):
    if "source" not in kw:
        kw["source"] = make_source()
    defaults = {"locator": "図表III-2-1-5", "quote": "日米安全保障協議委員会", "status": Status.PUBLISHED}
    return Citation.objects.create(**{**defaults, **kw})


def make_event(**kw):
    defaults = {"slug": _slug("event"), "name_ja": "共同訓練", "kind": Event.Kind.EXERCISE, "status": Status.PUBLISHED}
    return Event.objects.create(**{**defaults, **_dates(kw)})


def make_body_link(**kw):
    defaults = {"slug": _slug("link"), "kind": BodyLink.Kind.COORDINATES_WITH, "status": Status.PUBLISHED}
    kw.setdefault("from_body", make_body())
    kw.setdefault("to_body", make_body())
    return BodyLink.objects.create(**{**defaults, **_dates(kw)})


def make_tenure(**kw):
    kw.setdefault("person", make_person())
    kw.setdefault("post", make_post())
    defaults = {"slug": _slug("tenure"), "status": Status.PUBLISHED}
    return Tenure.objects.create(**{**defaults, **_dates(kw)})
