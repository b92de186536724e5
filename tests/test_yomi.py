"""Readings (yomi) and the 五十音 order of names in the lists."""

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from alliance.editorial.yomi import number_kana, prepare, to_hiragana
from alliance.models import Body, Person

from .factories import make_person

pytestmark = pytest.mark.django_db


def names_in_list(client, name, **params):
    html = client.get(reverse(f"alliance:{name}-list"), params).content.decode()
    return re.findall(r'<td[^>]*><a href="/[a-z]+/[\w-]+/">([^<]+)</a>', html)


def test_people_are_listed_in_gojuon_order(client, seeded):
    names = names_in_list(client, "person")
    # あくいりの, あべ, いしば, いづつ, いわや, うぉーます …: not code-point order (安 < 井 < 石 < 岩).
    assert names[:5] == ["アクイリノ", "安倍", "石破", "井筒", "岩屋"]
    readings = [Person.objects.get(name_ja=n).name_sort for n in names]
    assert readings == sorted(readings)


def test_bodies_sort_by_reading_not_by_code_point(client, seeded):
    names = names_in_list(client, "body", sort="name")
    # Code-point order was 共→包→各→同→拡→日; by reading: かく(各) かく(拡) きょう(共) どう(同) にち(日) ほう(包).
    order = [names.index(n) for n in ["各自衛隊および米軍各軍間の調整所", "拡大抑止に関する日米閣僚会合", "共同運用調整所", "同盟調整グループ", "日米合同委員会", "包括的日米対話"]]
    assert order == sorted(order)


def test_voiced_and_small_kana_sort_as_their_plain_kana():
    made = [
        make_person(name_ja=name, yomi=yomi).pk
        for name, yomi in [("外務", "がいむ"), ("角", "かく"), ("川", "かわ"), ("大野", "おおの"), ("オースティン", "おーすてぃん"), ("小野", "おの")]
    ]
    order = list(Person.objects.filter(pk__in=made).order_by("name_sort").values_list("name_ja", flat=True))
    # がいむ is read at the first level as かいむ (before かく); ー is left out (おすてぃん before おの).
    assert order == ["大野", "オースティン", "小野", "外務", "角", "川"]


def test_a_record_without_a_reading_sorts_by_its_japanese_name():
    make_person(name_ja="山田", yomi="")
    assert Person.objects.get(name_ja="山田").name_sort == "山田"


def test_readings_of_numbers_and_counters():
    assert number_kana(16) == "じゅうろく" and number_kana(83) == "はちじゅうさん" and number_kana(300) == "さんびゃく"
    assert to_hiragana(prepare("第16回日米安全保障協議委員会")).startswith("第じゅうろっかい")
    assert to_hiragana(prepare("第1回日米宇宙協議")).startswith("第いっかい")
    assert "つーぷらすつー" in to_hiragana(prepare("「2+2」"))


def test_fill_yomi_fills_only_blank_readings(seeded):
    pytest.importorskip("sudachipy")
    Body.objects.filter(slug="scc").update(yomi="")
    Body.objects.filter(slug="acm").update(yomi="てごなおし")  # an editor's reading is kept
    call_command("fill_yomi", stdout=StringIO())
    assert Body.objects.get(slug="scc").yomi == "にちべいあんぜんほしょうきょうぎいいんかい"
    assert Body.objects.get(slug="acm").yomi == "てごなおし"


# --- the English pages: alphabetical, people by family name ---------------------------


def english_names_in_list(client, name, **params):
    from django.utils import translation

    with translation.override("en"):
        url = reverse(f"alliance:{name}-list")
    html = client.get(url, params).content.decode()
    # The first link of each row is the record's own name; later cells link to others.
    rows = html.split("<tr")[2:]
    return [m[1] for m in (re.search(r'<a href="/en/[a-z]+/[\w-]+/"[^>]*>(?:<span[^>]*>)?([^<]+)<', row) for row in rows) if m]


def test_english_people_list_is_alphabetical_by_family_name(client, seeded):
    names = english_names_in_list(client, "person")
    # Family name first for Japanese names ("Abe Shinzo"), last before a suffix for the
    # others ("Lloyd J. Austin III" under A, "Joseph R. Biden Jr." under B): not 五十音
    # (アクイリノ, 安倍, 石破 …), which an English reader cannot follow.
    assert names[:4] == ["Abe Shinzo", "John C. Aquilino", "Lloyd J. Austin III", "Joseph R. Biden Jr."]
    keys = [Person.objects.get(name_en=n).name_sort_en for n in names]
    assert keys == sorted(keys)


def test_english_body_list_sorted_by_name_is_alphabetical(client, seeded):
    names = english_names_in_list(client, "body", sort="name")
    english = [n for n in names if n.isascii()]
    assert len(english) > 10
    assert english == sorted(english, key=str.lower)
    # Records with no English name come after every English name, not mixed in.
    assert names[: len(english)] == english


def test_a_record_without_an_english_name_sorts_after_english_names():
    make_person(name_ja="山田", yomi="やまだ", name_en="")
    make_person(name_ja="ゾーイ", yomi="ぞーい", name_en="Zoe Zimmer", country="us")
    keys = dict(Person.objects.filter(name_ja__in=["山田", "ゾーイ"]).values_list("name_ja", "name_sort_en"))
    assert keys["ゾーイ"] == "zimmer zoe zimmer"
    assert keys["ゾーイ"] < keys["山田"]
