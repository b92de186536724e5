"""Partial dates: a date known to the year, the Japanese fiscal year, the month or the day,
optionally qualified as the early, middle, late part or the end of that period.

A partial date is stored as three columns, ``<name>_date`` (the first day of the period
it names), ``<name>_precision`` and ``<name>_qualifier``; :class:`PrecisionField` ties
them together and puts a ``<name>`` accessor on the model that reads and writes a
:class:`PartialDate`.

The Japanese fiscal year N (「N年度」) runs from 1 April N to 31 March N+1 and is stored
as N-04-01. A qualifier (上旬, 中旬, 下旬, 末) says which part of the period the text
names; it is shown, exported and read back, but a qualified date is filtered and sorted
by its whole period: "the end of March 2025" lies within March 2025, "the end of FY2024"
within FY2024. The text form written to every export (and read back by every import) is
ISO 8601 at its precision, ``FY`` and the year for a fiscal year, and the qualifier after
a space: ``1996``, ``2009-11``, ``2017-04-25``, ``FY2022``, ``2025-03 end``, ``FY2024 end``.
"""

from __future__ import annotations

import calendar
import datetime
import re
import unicodedata
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Func, Q
from django.db.models.functions import TruncMonth, TruncYear
from django.utils.deconstruct import deconstructible
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _


class Precision(models.TextChoices):
    YEAR = "year", _("年")
    FISCAL_YEAR = "fiscal_year", _("年度")
    MONTH = "month", _("月")
    DAY = "day", _("日")


class Qualifier(models.TextChoices):
    EARLY = "early", _("上旬・初め")
    MID = "mid", _("中旬・半ば")
    LATE = "late", _("下旬")
    END = "end", _("末")


# A coarser date sorts before a finer one starting the same day (FY2022 before 2022-04).
_RANK = {Precision.YEAR: 0, Precision.FISCAL_YEAR: 1, Precision.MONTH: 2, Precision.DAY: 3}
# The precisions a qualifier may narrow: a day has no part, and 下旬 is said of a month only.
QUALIFIABLE = {
    Precision.YEAR: {Qualifier.EARLY, Qualifier.MID, Qualifier.END},
    Precision.FISCAL_YEAR: {Qualifier.EARLY, Qualifier.MID, Qualifier.END},
    Precision.MONTH: set(Qualifier),
}
_QUALIFIER_WORDS = {
    "上旬": Qualifier.EARLY,
    "初め": Qualifier.EARLY,
    "初頭": Qualifier.EARLY,
    "中旬": Qualifier.MID,
    "半ば": Qualifier.MID,
    "下旬": Qualifier.LATE,
    "末頃": Qualifier.END,
    "末ごろ": Qualifier.END,
    "末": Qualifier.END,
}
# How each qualifier is written after a month, and after a year or fiscal year.
_QUALIFIER_JA_MONTH = {Qualifier.EARLY: "上旬", Qualifier.MID: "中旬", Qualifier.LATE: "下旬", Qualifier.END: "末"}
_QUALIFIER_JA_YEAR = {Qualifier.EARLY: "初め", Qualifier.MID: "半ば", Qualifier.END: "末"}
_QUALIFIER_EN = {Qualifier.EARLY: "early", Qualifier.MID: "mid", Qualifier.LATE: "late", Qualifier.END: "end of"}

# Era name, first day, last day (inclusive). An era year N is start.year - 1 + N.
ERAS = {
    "明治": (datetime.date(1868, 1, 25), datetime.date(1912, 7, 29)),
    "大正": (datetime.date(1912, 7, 30), datetime.date(1926, 12, 24)),
    "昭和": (datetime.date(1926, 12, 25), datetime.date(1989, 1, 7)),
    "平成": (datetime.date(1989, 1, 8), datetime.date(2019, 4, 30)),
    "令和": (datetime.date(2019, 5, 1), datetime.date(9999, 12, 31)),
}
_ERA_LETTERS = {"M": "明治", "T": "大正", "S": "昭和", "H": "平成", "R": "令和"}

_QUALIFIER_CODE = "|".join(q.value for q in Qualifier)
_ISO = re.compile(rf"^(\d{{4}})(?:[-/.](\d{{1,2}})(?:[-/.](\d{{1,2}}))?)?({_QUALIFIER_CODE})?$")
_FY = re.compile(rf"^FY(\d{{4}})({_QUALIFIER_CODE})?$", re.IGNORECASE)
_JA = re.compile(
    r"^(?:(明治|大正|昭和|平成|令和)(元|\d{1,2})(?:\((\d{4})\))?|(\d{4}))年(度)?"
    r"(?:(\d{1,2})月(?:(\d{1,2})日)?)?"
    r"(上旬|初め|初頭|中旬|半ば|下旬|末頃|末ごろ|末)?$"
)
_ERA_SHORT = re.compile(r"^([MTSHR])(\d{1,2})(?:\.(\d{1,2})(?:\.(\d{1,2}))?)?$")
# Words that name a date only by reference to one stated before it.
_RELATIVE = re.compile(r"^同(年度|年|月)(.*)$")
_PERIOD = re.compile(r"^(.+?)(?:から|以降|より)(?:(.+?)まで)?$")


@dataclass(frozen=True, order=False)
class PartialDate:
    """A date at year, fiscal-year, month or day precision; ``date`` is the first day of
    the period; ``qualifier`` names a part of it (early, mid, late, end) or is ""."""

    date: datetime.date
    precision: str
    qualifier: str = ""

    def __post_init__(self):
        if self.precision not in _RANK:
            raise ValueError(f"unknown precision {self.precision!r}")
        if self.precision != Precision.DAY and self.date.day != 1:
            raise ValueError("a year or month precision date must be the first of its month")
        if self.precision == Precision.YEAR and self.date.month != 1:
            raise ValueError("a year precision date must be the first of January")
        if self.precision == Precision.FISCAL_YEAR and self.date.month != 4:
            raise ValueError("a fiscal year precision date must be the first of April")
        if self.qualifier and self.qualifier not in QUALIFIABLE.get(self.precision, ()):
            raise ValueError(f"a {self.precision} precision date cannot be qualified as {self.qualifier!r}")

    @classmethod
    def of(cls, year: int, month: int | None = None, day: int | None = None, qualifier: str = "") -> PartialDate:
        if month is None:
            return cls(datetime.date(year, 1, 1), Precision.YEAR, qualifier)
        if day is None:
            return cls(datetime.date(year, month, 1), Precision.MONTH, qualifier)
        return cls(datetime.date(year, month, day), Precision.DAY, qualifier)

    @classmethod
    def fiscal_year(cls, year: int, qualifier: str = "") -> PartialDate:
        """The Japanese fiscal year ``year`` (April ``year`` to March ``year + 1``)."""
        return cls(datetime.date(year, 4, 1), Precision.FISCAL_YEAR, qualifier)

    @classmethod
    def parse(cls, text: str, context: PartialDate | None = None) -> PartialDate:
        """Read ``1996``, ``2009-11``, ``2017-04-25``, ``2009年11月``, ``平成21年11月``, ``R7.3``,
        ``2022年度``, ``令和4年度``, ``昭和60（1985）年度``, ``2025年3月末``, ``1996年末``,
        ``FY2022``, ``2025-03 end``…

        "同年末", "同月" name a date only by reference to the one stated before: they are
        read against ``context`` and refused without it.
        """
        raw = text
        text = unicodedata.normalize("NFKC", text or "").strip().replace(" ", "")
        if not text:
            raise ValidationError(_("日付が空です。"), code="empty")
        if match := _RELATIVE.match(text):
            text = _resolve_relative(match, context, raw)
        era = None
        fiscal = False
        qualifier = ""
        if match := _ISO.match(text):
            year, month, day = (int(g) if g else None for g in match.groups()[:3])
            qualifier = match.group(4) or ""
        elif match := _FY.match(text):
            year, month, day, fiscal = int(match.group(1)), None, None, True
            qualifier = (match.group(2) or "").lower()
        elif match := _JA.match(text):
            era_name, era_year, stated_western, western, fiscal_mark, month, day, words = match.groups()
            month = int(month) if month else None
            day = int(day) if day else None
            fiscal = bool(fiscal_mark)
            qualifier = _QUALIFIER_WORDS[words] if words else ""
            if era_name:
                era = era_name
                year = ERAS[era_name][0].year - 1 + (1 if era_year == "元" else int(era_year))
                if stated_western and int(stated_western) != year:
                    raise ValidationError(
                        _("%(value)s: 元号の年と西暦の年が合いません。"), code="era_mismatch", params={"value": raw}
                    )
            else:
                year = int(western)
            if fiscal and month is not None:
                raise ValidationError(_("%(value)s: 年度に月は付けられません。"), code="invalid", params={"value": raw})
        elif match := _ERA_SHORT.match(text.upper()):
            letter, era_year, month, day = match.groups()
            era = _ERA_LETTERS[letter]
            year = ERAS[era][0].year - 1 + int(era_year)
            month = int(month) if month else None
            day = int(day) if day else None
        else:
            raise ValidationError(
                _("「%(value)s」は日付として読めません。1996、2009-11、2017-04-25、2009年11月、平成21年11月、2022年度、2025年3月末 のように入力してください。"),
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
        if qualifier and (day is not None or qualifier not in QUALIFIABLE[Precision.MONTH if month else Precision.YEAR]):
            errors.append(ValidationError(
                _("%(value)s: 日付には上旬・中旬・下旬・末を付けられません（下旬は月にのみ）。"), code="invalid_qualifier", params={"value": raw}
            ))
        if errors:
            raise errors[0] if len(errors) == 1 else ValidationError(errors)
        value = cls.fiscal_year(year, qualifier) if fiscal else cls.of(year, month, day, qualifier)
        if era is not None:
            first, last = ERAS[era]
            # An era's fiscal year is named by the era its April falls in (平成31年度 = FY2019).
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
        """The last day of the period (a qualifier does not narrow it)."""
        if self.precision == Precision.DAY:
            return self.date
        if self.precision == Precision.MONTH:
            return self.date.replace(day=calendar.monthrange(self.date.year, self.date.month)[1])
        if self.precision == Precision.FISCAL_YEAR:
            return day_or_bound(self.date.year + 1, 3, 31)
        return self.date.replace(month=12, day=31)

    def contains(self, day: datetime.date) -> bool:
        return self.start <= day <= self.end

    def iso(self) -> str:
        """ISO 8601 at its precision (reduced precision for year and month), ``FY2022`` for
        a fiscal year, and the qualifier after a space (``2025-03 end``)."""
        if self.precision == Precision.YEAR:
            text = f"{self.date.year:04d}"
        elif self.precision == Precision.FISCAL_YEAR:
            text = f"FY{self.date.year:04d}"
        elif self.precision == Precision.MONTH:
            text = f"{self.date.year:04d}-{self.date.month:02d}"
        else:
            text = self.date.isoformat()
        return f"{text} {self.qualifier}" if self.qualifier else text

    def ja(self) -> str:
        if self.precision == Precision.YEAR:
            return f"{self.date.year}年{_QUALIFIER_JA_YEAR.get(self.qualifier, '')}"
        if self.precision == Precision.FISCAL_YEAR:
            return f"{self.date.year}年度{_QUALIFIER_JA_YEAR.get(self.qualifier, '')}"
        if self.precision == Precision.MONTH:
            return f"{self.date.year}年{self.date.month}月{_QUALIFIER_JA_MONTH.get(self.qualifier, '')}"
        return f"{self.date.year}年{self.date.month}月{self.date.day}日"

    def en(self) -> str:
        month = calendar.month_name[self.date.month]
        if self.precision == Precision.YEAR:
            text = str(self.date.year)
        elif self.precision == Precision.FISCAL_YEAR:
            text = f"FY{self.date.year}"
        elif self.precision == Precision.MONTH:
            text = f"{month} {self.date.year}"
        else:
            return f"{self.date.day} {month} {self.date.year}"
        return f"{_QUALIFIER_EN[self.qualifier]} {text}" if self.qualifier else text

    def display(self) -> str:
        """In the active language."""
        return self.en() if (get_language() or "ja").startswith("en") else self.ja()

    def _key(self):
        return (self.date, _RANK[self.precision], self.qualifier)

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


def _resolve_relative(match, context: PartialDate | None, raw: str) -> str:
    """「同年末」「同月」「同年度」 against the date stated before it, as an explicit form."""
    unit, rest = match.groups()
    if context is None:
        raise ValidationError(
            _("「%(value)s」は前に書かれた日付を指します。年を明記してください（例: 1996年末）。"),
            code="relative",
            params={"value": raw},
        )
    year = context.date.year
    if unit == "年度":
        return f"{year if context.precision == Precision.FISCAL_YEAR else fiscal_year_of(context.date)}年度{rest}"
    if unit == "月":
        if context.precision not in (Precision.MONTH, Precision.DAY):
            raise ValidationError(_("「%(value)s」: 前の日付に月がありません。"), code="relative", params={"value": raw})
        return f"{year}年{context.date.month}月{rest}"
    return f"{year}年{rest}"


def parse_period(text: str, context: PartialDate | None = None) -> tuple[PartialDate, PartialDate | None]:
    """A stated period as (start, end): 「2022年度から2026年度まで」, 「2020年度から」,
    「昭和60（1985）年度以降」 (end None when the text gives none)."""
    normal = unicodedata.normalize("NFKC", text or "").strip().replace(" ", "")
    match = _PERIOD.match(normal)
    if not match:
        return PartialDate.parse(text, context), None
    start = PartialDate.parse(match.group(1), context)
    end = PartialDate.parse(match.group(2), start) if match.group(2) else None
    if end is not None and end.end < start.start:
        raise ValidationError(_("「%(value)s」: 終わりが始まりより前です。"), code="invalid_period", params={"value": text})
    return start, end


def day_or_bound(year: int, month: int, day: int) -> datetime.date:
    """The day, or the calendar's first or last day when ``year`` lies outside it (1–9999).

    Every boundary computed from a date a reader or an editor gives goes through here: the
    fiscal year that holds 1 January of year 1 began in year 0, and fiscal year 9999 ends
    in year 10000, neither of which a date can hold. As bounds of a period they are the
    calendar's ends, which no stored date lies beyond."""
    if year < datetime.MINYEAR:
        return datetime.date.min
    if year > datetime.MAXYEAR:
        return datetime.date.max
    return datetime.date(year, month, day)


def next_day(day: datetime.date) -> datetime.date:
    """The day after ``day``; the calendar's last day has none and stays itself."""
    return day if day == datetime.date.max else day + datetime.timedelta(days=1)


def fiscal_year_of(day: datetime.date) -> int:
    """The Japanese fiscal year that contains ``day`` (January to March belong to the year before)."""
    return day.year if day.month >= 4 else day.year - 1


def truncate(day: datetime.date, precision: str) -> datetime.date:
    """The first day of the period of ``precision`` that contains ``day``."""
    if precision == Precision.YEAR:
        return day.replace(month=1, day=1)
    if precision == Precision.FISCAL_YEAR:
        return day_or_bound(fiscal_year_of(day), 4, 1)
    if precision == Precision.MONTH:
        return day.replace(day=1)
    return day


class PartialDateAccessor:
    """``instance.<name>`` as a PartialDate (or None), over the two stored columns."""

    def __init__(self, name: str):
        self.name = name
        self.date_attr = f"{name}_date"
        self.precision_attr = f"{name}_precision"
        self.qualifier_attr = f"{name}_qualifier"

    def __get__(self, instance, owner=None):
        if instance is None:
            return self
        day = getattr(instance, self.date_attr)
        precision = getattr(instance, self.precision_attr)
        if day is None or not precision:
            return None
        try:
            return PartialDate(day, precision, getattr(instance, self.qualifier_attr, "") or "")
        except ValueError:
            return None  # an unsaved, not yet validated combination

    def __set__(self, instance, value):
        if value is None:
            setattr(instance, self.date_attr, None)
            setattr(instance, self.precision_attr, "")
            setattr(instance, self.qualifier_attr, "")
            return
        if isinstance(value, str):
            value = PartialDate.parse(value)
        setattr(instance, self.date_attr, value.date)
        setattr(instance, self.precision_attr, value.precision)
        setattr(instance, self.qualifier_attr, value.qualifier)


class PrecisionField(models.CharField):
    """The precision of the sibling ``<name>_date``; adds the ``<name>`` accessor."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 11)
        kwargs.setdefault("choices", Precision.choices)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        # Bulk loads (COPY) that do not name the column still write a valid row.
        kwargs.setdefault("db_default", "")
        super().__init__(*args, **kwargs)

    def contribute_to_class(self, cls, name, **kwargs):
        super().contribute_to_class(cls, name, **kwargs)
        if not name.endswith("_precision"):
            raise TypeError(f"{cls.__name__}.{name}: a PrecisionField's name must end in _precision")
        base = name.removesuffix("_precision")
        setattr(cls, base, PartialDateAccessor(base))
        cls.partial_date_names = (*getattr(cls, "partial_date_names", ()), base)


QUALIFIER_LABEL = _("時期（上旬・中旬・下旬・末）")


def qualifier_field(verbose_name):
    """The qualifier column of a partial date: which part of its period the text names."""
    return models.CharField(
        verbose_name, max_length=5, choices=Qualifier.choices, blank=True, default="", db_default=""
    )


def date_field(verbose_name, help_text=""):
    """The date column of a partial date pair."""
    return models.DateField(verbose_name, null=True, blank=True, help_text=help_text, editable=True)


def precision_constraint(model: str, name: str) -> models.CheckConstraint:
    """The stored date is the first day of its period, both columns are set or neither, and
    a qualifier stands only on a year, a fiscal year or a month."""
    d, p, q = f"{name}_date", f"{name}_precision", f"{name}_qualifier"
    return models.CheckConstraint(
        condition=(
            (
                Q(**{f"{d}__isnull": True, p: ""})
                | Q(**{f"{d}__isnull": False, p: Precision.DAY})
                | Q(**{f"{d}__isnull": False, p: Precision.MONTH, f"{d}__day": 1})
                | Q(**{f"{d}__isnull": False, p: Precision.FISCAL_YEAR, f"{d}__month": 4, f"{d}__day": 1})
                | Q(**{f"{d}__isnull": False, p: Precision.YEAR, f"{d}__month": 1, f"{d}__day": 1})
            )
            & (Q(**{q: ""}) | Q(**{f"{p}__in": list(QUALIFIABLE)}))
        ),
        name=f"{model}_{name}_precision",
    )


@deconstructible(path="alliance.partial_dates.NextYear")
class NextYear(Func):
    """The same day a year later (PostgreSQL's date + interval '1 year')."""

    template = "(%(expressions)s + interval '1 year')::date"
    output_field = models.DateField()


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
            # A fiscal year N reaches the earlier date if it starts before N+1-04-01.
            | Q(**{lp: Precision.FISCAL_YEAR, f"{ed}__lt": NextYear(ld)})
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


def earliest_reaching(day: datetime.date) -> datetime.date:
    """The earliest day a partial date of any precision can start on and still have a
    period that reaches ``day`` (a fiscal year starting the April before, a year the 1st
    of January): reaches_q's lower bound, which an index on the date can start from."""
    return min(day, *(truncate(day, precision) for precision in (Precision.MONTH, Precision.FISCAL_YEAR, Precision.YEAR)))


def reaches_q(name: str, day: datetime.date) -> Q:
    """Records whose partial date ``name`` has a period that ends on or after ``day``.

    The stored date is the first day of its period, so this is ``date >= day`` cut to
    the record's own precision; it compares the column directly and can use an index.
    """
    d, p = f"{name}_date", f"{name}_precision"
    # The earliest of the four bounds, implied by them: an index on the date reads from
    # there instead of from the beginning of the calendar.
    return Q(**{f"{d}__gte": earliest_reaching(day)}) & (
        Q(**{p: Precision.DAY, f"{d}__gte": day})
        | Q(**{p: Precision.MONTH, f"{d}__gte": truncate(day, Precision.MONTH)})
        | Q(**{p: Precision.FISCAL_YEAR, f"{d}__gte": truncate(day, Precision.FISCAL_YEAR)})
        | Q(**{p: Precision.YEAR, f"{d}__gte": truncate(day, Precision.YEAR)})
    )


def order_by(name: str, descending: bool = False) -> list:
    """ORDER BY terms that sort partial dates as PartialDate does: by period start, and a
    coarser date before a finer one starting the same day (1996 < 1996-01 < 1996-01-01).
    Undated records go last either way."""
    from django.db.models import Case, Value, When

    rank = Case(
        *(When(**{f"{name}_precision": p}, then=Value(r)) for p, r in _RANK.items()),
        default=Value(len(_RANK)),
    )
    date = F(f"{name}_date")
    if descending:
        return [date.desc(nulls_last=True), rank.desc()]
    return [date.asc(nulls_last=True), rank.asc()]
