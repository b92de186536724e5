import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from alliance.partial_dates import PartialDate, Precision, truncate


@pytest.mark.parametrize(
    ("text", "date", "precision"),
    [
        ("1996", datetime.date(1996, 1, 1), Precision.YEAR),
        ("2009-11", datetime.date(2009, 11, 1), Precision.MONTH),
        ("2017-04-25", datetime.date(2017, 4, 25), Precision.DAY),
        ("2017/4/25", datetime.date(2017, 4, 25), Precision.DAY),
        ("2009年", datetime.date(2009, 1, 1), Precision.YEAR),
        ("2009年11月", datetime.date(2009, 11, 1), Precision.MONTH),
        ("2017年4月25日", datetime.date(2017, 4, 25), Precision.DAY),
        ("２０１７年４月２５日", datetime.date(2017, 4, 25), Precision.DAY),
        (" 2009 年 11 月 ", datetime.date(2009, 11, 1), Precision.MONTH),
        ("平成21年11月", datetime.date(2009, 11, 1), Precision.MONTH),
        ("令和7年3月", datetime.date(2025, 3, 1), Precision.MONTH),
        ("令和元年5月1日", datetime.date(2019, 5, 1), Precision.DAY),
        ("昭和35年", datetime.date(1960, 1, 1), Precision.YEAR),
        ("昭和35年1月19日", datetime.date(1960, 1, 19), Precision.DAY),
        ("平成元年", datetime.date(1989, 1, 1), Precision.YEAR),
        ("昭和64年1月7日", datetime.date(1989, 1, 7), Precision.DAY),
        ("H27.4.27", datetime.date(2015, 4, 27), Precision.DAY),
        ("R7.3", datetime.date(2025, 3, 1), Precision.MONTH),
    ],
)
def test_parse_accepts_western_and_japanese_forms(text, date, precision):
    value = PartialDate.parse(text)
    assert (value.date, value.precision) == (date, precision)


@pytest.mark.parametrize(
    ("text", "code"),
    [
        ("", "empty"),
        ("yesterday", "invalid"),
        ("2009-13", "invalid_month"),
        ("2009-02-30", "invalid_day"),
        ("2009年2月29日", "invalid_day"),
        ("平成31年5月", "outside_era"),  # 令和 began on 1 May 2019
        ("令和元年4月", "outside_era"),
        ("昭和64年2月", "outside_era"),
        ("平成0年", "invalid_era"),
        ("0000", "invalid_year"),
    ],
)
def test_parse_rejects_impossible_dates_with_a_reason(text, code):
    with pytest.raises(ValidationError) as excinfo:
        PartialDate.parse(text)
    assert excinfo.value.code == code


def test_leap_day_is_accepted_in_a_leap_year():
    assert PartialDate.parse("2024-02-29").date == datetime.date(2024, 2, 29)


@pytest.mark.parametrize(
    ("text", "iso", "ja", "en"),
    [
        ("1996", "1996", "1996年", "1996"),
        ("2009-11", "2009-11", "2009年11月", "November 2009"),
        ("2017-04-05", "2017-04-05", "2017年4月5日", "5 April 2017"),
    ],
)
def test_renders_at_its_precision(text, iso, ja, en):
    value = PartialDate.parse(text)
    assert value.iso() == iso
    assert str(value) == iso
    assert value.ja() == ja
    assert value.en() == en
    with translation.override("ja"):
        assert value.display() == ja
    with translation.override("en"):
        assert value.display() == en


def test_a_partial_date_covers_its_whole_period():
    month = PartialDate.parse("2009-11")
    assert (month.start, month.end) == (datetime.date(2009, 11, 1), datetime.date(2009, 11, 30))
    assert month.contains(datetime.date(2009, 11, 15))
    assert not month.contains(datetime.date(2009, 12, 1))
    year = PartialDate.parse("1996")
    assert year.end == datetime.date(1996, 12, 31)
    assert PartialDate.parse("2024-02").end == datetime.date(2024, 2, 29)


def test_ordering_puts_a_coarser_date_before_a_finer_one_on_the_same_day():
    values = [PartialDate.parse(t) for t in ["2009-11-03", "2009", "2009-11", "1996", "2010"]]
    assert [v.iso() for v in sorted(values)] == ["1996", "2009", "2009-11", "2009-11-03", "2010"]


def test_constructor_refuses_a_date_that_does_not_match_its_precision():
    with pytest.raises(ValueError):
        PartialDate(datetime.date(2009, 11, 15), Precision.MONTH)
    with pytest.raises(ValueError):
        PartialDate(datetime.date(2009, 11, 1), Precision.YEAR)


def test_truncate():
    day = datetime.date(2009, 11, 15)
    assert truncate(day, Precision.YEAR) == datetime.date(2009, 1, 1)
    assert truncate(day, Precision.MONTH) == datetime.date(2009, 11, 1)
    assert truncate(day, Precision.DAY) == day


def test_a_bad_month_does_not_hide_a_bad_day():
    with pytest.raises(ValidationError) as excinfo:
        PartialDate.parse("2026-13-45")
    assert excinfo.value.messages == ["月 13 は1〜12で入力してください。", "日 45 は1〜31で入力してください。"]
