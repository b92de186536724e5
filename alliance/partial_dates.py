"""Partial dates: a date known to the year, the month or the day.

A partial date is stored as two columns, ``<name>_date`` (the first day of the period
it names) and ``<name>_precision``; :class:`PrecisionField` ties them together and
puts a ``<name>`` accessor on the model that reads and writes a :class:`PartialDate`.
"""

from __future__ import annotations

import calendar
import datetime
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import TruncMonth, TruncYear
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Precision(models.TextChoices):
    YEAR = "year", _("年")
    MONTH = "month", _("月")
    DAY = "day", _("日")


_RANK = {Precision.YEAR: 0, Precision.MONTH: 1, Precision.DAY: 2}

# Era name, first day, last day (inclusive). An era year N is start.year - 1 + N.
ERAS = {
    "明治": (datetime.date(1868, 1, 25), datetime.date(1912, 7, 29)),
    "大正": (datetime.date(1912, 7, 30), datetime.date(1926, 12, 24)),
    "昭和": (datetime.date(1926, 12, 25), datetime.date(1989, 1, 7)),
    "平成": (datetime.date(1989, 1, 8), datetime.date(2019, 4, 30)),
    "令和": (datetime.date(2019, 5, 1), datetime.date(9999, 12, 31)),
}
_ERA_LETTERS = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}

_ISO = re.compile(r"^(\d{4})(?:[-/.](\d{1,2})(?:[-/.](\d{1,2}))?)?$")
_JA = re.compile(r"^(?:(明治|大正|昭和|平成|令和)(元|\d{1,2})|(\d{4}))年(?:(\d{1,2})月(?:(\d{1,2})日)?)?$")
_ERA_SHORT = re.compile(r"^([MTSHR])(\d{1,2})(?:\.(\d{1,2})(?:\.(\d{1,2}))?)?$")


@dataclass(frozen=True, order=False)
class PartialDate:
    """A date at year, month or day precision; ``date`` is the first day of the period."""

    date: datetime.date
    precision: str

    def __post_init__(self):
        if self.precision not in _RANK:
            raise ValueError(f"unknown precision {self.precision!r}")
        if self.precision != Precision.DAY and self.date.day != 1:
            raise ValueError("a year or month precision date must be the first of its month")
        if self.precision == Precision.YEAR and self.date.month != 1:
            raise ValueError("a year precision date must be the first of January")

    @classmethod
    def of(cls, year: int, month: int | None = None, day: int | None = None) -> PartialDate:
        if month is None:
            return cls(datetime.date(year, 1, 1), Precision.YEAR)
        if day is None:
            return cls(datetime.date(year, month, 1), Precision.MONTH)
        return cls(datetime.date(year, month, day), Precision.DAY)

    @classmethod
    def parse(cls, text: str) -> PartialDate:
        """Read ``1996``, ``2009-11``, ``2017-04-25``, ``2009年11月``, ``平成21年11月``, ``R7.3``…"""
        raw = text
        text = unicodedata.normalize("NFKC", text or "").strip().replace(" ", "")
        if not text:
            raise ValidationError(_("日付が空です。"), code="empty")
        era = None
        if match := _ISO.match(text):
            year, month, day = (int(g) if g else None for g in match.groups())
        elif match := _JA.match(text):
            era_name, era_year, western, month, day = match.groups()
            month = int(month) if month else None
            day = int(day) if day else None
            if era_name:
                era = era_name
                year = ERAS[era_name][0].year - 1 + (1 if era_year == "元" else int(era_year))
            else:
                year = int(western)
        elif match := _ERA_SHORT.match(text.upper()):
            letter, era_year, month, day = match.groups()
            era = _ERA_LETTERS[letter]
            year = ERAS[era][0].year - 1 + int(era_year)
            month = int(month) if month else None
            day = int(day) if day else None
        else:
            raise ValidationError(
                _("「%(value)s」は日付として読めません。1996、2009-11、2017-04-25、2009年11月、平成21年11月 のように入力してください。"),
                code="invalid",
                params={"value": raw},
            )
        if era is not None and year - ERAS[era][0].year + 1 < 1:
            raise ValidationError(_("元号の年は1以上です。"), code="invalid_era")
        # Every part is checked, so a bad month does not hide a bad day.
        errors = []
        year_ok = 1 <= year <= 9999
        month_ok = month is None or 1 <= month <= 12
        if not year_ok:
            errors.append(ValidationError(_("年 %(year)s は範囲外です。"), code="invalid_year", params={"year": year}))
        if not month_ok:
            errors.append(ValidationError(_("月 %(month)s は1〜12で入力してください。"), code="invalid_month", params={"month": month}))
        if day is not None:
            last = calendar.monthrange(year, month)[1] if year_ok and month_ok else 31
            if not 1 <= day <= last:
                if year_ok and month_ok:
                    errors.append(ValidationError(
                        _("%(year)s年%(month)s月に%(day)s日はありません。"),
                        code="invalid_day",
                        params={"year": year, "month": month, "day": day},
                    ))
                else:
                    errors.append(ValidationError(_("日 %(day)s は1〜31で入力してください。"), code="invalid_day", params={"day": day}))
        if errors:
            raise errors[0] if len(errors) == 1 else ValidationError(errors)
        value = cls.of(year, month, day)
        if era is not None:
            first, last = ERAS[era]
            if value.end < first or value.start > last:
                raise ValidationError(
                    _("%(value)s は%(era)sの期間（%(first)s〜%(last)s）にありません。"),
                    code="outside_era",
                    params={"value": raw, "era": era, "first": first.isoformat(), "last": last.isoformat()},
                )
        return value

    @property
    def start(self) -> datetime.date:
        return self.date

    @property
    def end(self) -> datetime.date:
        """The last day of the period."""
        if self.precision == Precision.DAY:
            return self.date
        if self.precision == Precision.MONTH:
            return self.date.replace(day=calendar.monthrange(self.date.year, self.date.month)[1])
        return self.date.replace(month=12, day=31)

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end

    def iso(self) -> str:
        """ISO 8601 at its precision (reduced precision for year and month)."""
        if self.precision == Precision.YEAR:
            return f"{self.date.year:04d}"
        if self.precision == Precision.MONTH:
            return f"{self.date.year:04d}-{self.date.month:02d}"
        return self.date.isoformat()

    def ja(self) -> str:
        if self.precision == Precision.YEAR:
            return f"{self.date.year}年"
        if self.precision == Precision.MONTH:
            return f"{self.date.year}年{self.date.month}月"
        return f"{self.date.year}年{self.date.month}月{self.date.day}日"

    def en(self) -> str:
        month = calendar.month_name[self.date.month]
        if self.precision == Precision.YEAR:
            return str(self.date.year)
        if self.precision == Precision.MONTH:
            return f"{month} {self.date.year}"
        return f"{self.date.day} {month} {self.date.year}"

    def display(self) -> str:
        """In the active language."""
        return self.en() if (get_language() or "ja").startswith("en") else self.ja()

    def _key(self):
        return (self.date, _RANK[self.precision])

    def __lt__(self, other: PartialDate) -> bool:
        return self._key() < other._key()

    def __le__(self, other: PartialDate) -> bool:
        return self._key() <= other._key()

    def __gt__(self, other: PartialDate) -> bool:
        return self._key() > other._key()

    def __ge__(self, other: PartialDate) -> bool:
        return self._key() >= other._key()

    def __str__(self) -> str:
        return self.iso()


def truncate(day: datetime.date, precision: str) -> datetime.date:
    """The first day of the period of ``precision`` that contains ``day``."""
    if precision == Precision.YEAR:
        return day.replace(month=1, day=1)
    if precision == Precision.MONTH:
        return day.replace(day=1)
    return day


class PartialDateAccessor:
    """``instance.<name>`` as a PartialDate (or None), over the two stored columns."""

    def __init__(self, name: str):
        self.name = name
        self.date_attr = f"{name}_date"
        self.precision_attr = f"{name}_precision"

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        day = getattr(instance, self.date_attr)
        precision = getattr(instance, self.precision_attr)
        if day is None or not precision:
            return None
        try:
            return PartialDate(day, precision)
        except ValueError:
            return None  # an unsaved, not yet validated combination

    def __set__(self, instance, value):
        if value is None:
            setattr(instance, self.date_attr, None)
            setattr(instance, self.precision_attr, "")
            return
        if isinstance(value, str):
            value = PartialDate.parse(value)
        setattr(instance, self.date_attr, value.date)
        setattr(instance, self.precision_attr, value.precision)


class PrecisionField(models.CharField):
    """The precision of the sibling ``<name>_date``; adds the ``<name>`` accessor."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 5)
        kwargs.setdefault("choices", Precision.choices)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        super().__init__(*args, **kwargs)

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        if not name.endswith("_precision"):
            raise TypeError(f"{cls.__name__}.{name}: a PrecisionField's name must end in _precision")
        base = name.removesuffix("_precision")
        setattr(cls, base, PartialDateAccessor(base))
        cls.partial_date_names = (*getattr(cls, "partial_date_names", ()), base)


def date_field(verbose_name, help_text=""):
    """The date column of a partial date pair."""
    return models.DateField(verbose_name, null=True, blank=True, help_text=help_text, editable=True)


def precision_constraint(model: str, name: str) -> models.CheckConstraint:
    """The stored date is the first day of its period, and both columns are set or neither."""
    d, p = f"{name}_date", f"{name}_precision"
    return models.CheckConstraint(
        condition=(
            Q(**{f"{d}__isnull": True, p: ""})
            | Q(**{f"{d}__isnull": False, p: Precision.DAY})
            | Q(**{f"{d}__isnull": False, p: Precision.MONTH, f"{d}__day": 1})
            | Q(**{f"{d}__isnull": False, p: Precision.YEAR, f"{d}__month": 1, f"{d}__day": 1})
        ),
        name=f"{model}_{name}_precision",
    )


def not_before_constraint(model: str, later: str, earlier: str) -> models.CheckConstraint:
    """``later`` does not end before ``earlier`` begins.

    A month-precision end may share its month with a day-precision start (started on
    the 20th, ended "in November"): the end's period must reach the start's first day.
    """
    ld, lp, ed = f"{later}_date", f"{later}_precision", f"{earlier}_date"
    return models.CheckConstraint(
        condition=(
            Q(**{f"{ld}__isnull": True})
            | Q(**{f"{ed}__isnull": True})
            | Q(**{lp: Precision.DAY, f"{ld}__gte": F(ed)})
            | Q(**{lp: Precision.MONTH, f"{ld}__gte": TruncMonth(ed)})
            | Q(**{lp: Precision.YEAR, f"{ld}__gte": TruncYear(ed)})
        ),
        name=f"{model}_{later}_not_before_{earlier}",
    )


def check_not_before(instance, later: str, earlier: str, message) -> dict:
    """The same rule as not_before_constraint, for clean(): {field: message} or {}."""
    late, early = getattr(instance, later), getattr(instance, earlier)
    if late is not None and early is not None and late.end < early.start:
        return {later: message}
    return {}


def overlaps_q(name: str, start: datetime.date | None, end: datetime.date | None) -> Q:
    """Records whose partial date ``name`` lies, wholly or partly, in [start, end]."""
    q = Q(**{f"{name}_date__isnull": False})
    if end is not None:
        q &= Q(**{f"{name}_date__lte": end})
    if start is not None:
        q &= reaches_q(name, start)
    return q


def reaches_q(name: str, day: datetime.date) -> Q:
    """Records whose partial date ``name`` has a period that ends on or after ``day``.

    The stored date is the first day of its period, so this is ``date >= day`` cut to
    the record's own precision; it compares the column directly and can use an index.
    """
    d, p = f"{name}_date", f"{name}_precision"
    return (
        Q(**{p: Precision.DAY, f"{d}__gte": day})
        | Q(**{p: Precision.MONTH, f"{d}__gte": truncate(day, Precision.MONTH)})
        | Q(**{p: Precision.YEAR, f"{d}__gte": truncate(day, Precision.YEAR)})
    )


def order_by(name: str, descending: bool = False) -> list:
    """ORDER BY terms that sort partial dates as PartialDate does: by period start, and a
    coarser date before a finer one starting the same day (1996 < 1996-01 < 1996-01-01).
    Undated records go last either way."""
    from django.db.models import Case, Value, When

    rank = Case(
        *(When(**{f"{name}_precision": p}, then=Value(r)) for p, r in _RANK.items()),
        default=Value(3),
    )
    date = F(f"{name}_date")
    if descending:
        return [date.desc(nulls_last=True), rank.desc()]
    return [date.asc(nulls_last=True), rank.asc()]
