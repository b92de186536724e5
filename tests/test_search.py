"""Search at every length: 1–2 characters through the grams index, 3+ through the trigram
index, and the same results as the scanning predicate the registry used before."""

import pytest
from django.db import connection
from django.db.models import Q
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alliance.models import Agreement, Meeting, Seat
from alliance.public.search import normalize_query, search_q, strpos_q

from .factories import make_agreement, make_body, make_meeting, make_seat

pytestmark = pytest.mark.django_db


def old_search_q(terms, fields=("search_text",)):
    """The search as it was before the grams index: LIKE for 3+ characters, strpos below."""
    q = Q()
    for term in terms:
        any_field = Q()
        for field in fields:
            any_field |= Q(**{f"{field}__contains": term}) if len(term) >= 3 else strpos_q(term, field)
        q &= any_field
    return q


def plan(qs) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        sql, params = qs.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.mark.parametrize("query", ["呉", "岩国", "ｸﾞ", "Ａ", "2+"])
def test_one_and_two_character_searches_use_the_grams_index(query):
    make_meeting(name_ja="岩国・呉での日米協議", name_en="Iwakuni グ A 2+2")
    make_meeting(name_ja="横須賀")
    qs = Meeting.objects.filter(search_q(normalize_query(query))).order_by()
    explained = plan(qs)
    assert "meeting_search_grams" in explained, explained
    assert "Seq Scan" not in explained, explained
    assert list(qs.values_list("name_ja", flat=True)) == ["岩国・呉での日米協議"]


def test_a_small_table_is_still_searched_through_the_index():
    # Computing the pieces row by row is dear: the planner must not scan even a small table.
    for i in range(300):
        make_agreement(name_ja=f"協定{i}", summary_ja="日米の安全保障に関する取極" * 5)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE alliance_agreement")
    qs = Agreement.objects.filter(search_q(normalize_query("呉"))).order_by()
    with connection.cursor() as cursor:
        sql, params = qs.query.sql_with_params()
        cursor.execute("EXPLAIN " + sql, params)
        explained = "\n".join(row[0] for row in cursor.fetchall())
    assert "agreement_search_grams" in explained, explained


def test_related_records_are_searched_with_strpos():
    make_seat(body=make_body(name_ja="日米合同委員会"))
    qs = Seat.objects.filter(search_q(normalize_query("合同"), ("body__search_text",))).order_by()
    sql, _ = qs.query.sql_with_params()
    assert "STRPOS" in sql and "alliance_grams" not in sql
    assert qs.count() == 1


def test_three_or_more_characters_keep_the_trigram_path():
    qs = Agreement.objects.filter(search_q(normalize_query("安全保")))
    sql, _ = qs.query.sql_with_params()
    assert "LIKE" in sql and "alliance_grams" not in sql


def test_a_column_without_a_grams_index_keeps_strpos():
    qs = Seat.objects.filter(search_q(normalize_query("長"), ("role",)))
    sql, _ = qs.query.sql_with_params()
    assert "STRPOS" in sql and "alliance_grams" not in sql


# Characters that NFKC and lower() change (full-width, half-width kana with a voiced mark,
# capitals), separators, and plain Japanese and Latin text.
ALPHABET = "日米安全保障協定会議呉岩国の・ー-+2ＡａAaBｂ１1ｶﾞガ 　\t\n"
texts = st.text(alphabet=ALPHABET, max_size=14)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    records=st.lists(st.tuples(texts, texts, texts), min_size=1, max_size=8),
    extra_queries=st.lists(st.text(alphabet=ALPHABET, min_size=1, max_size=5), max_size=4),
    data=st.data(),
)
def test_the_new_search_finds_exactly_what_the_old_one_did(records, extra_queries, data):
    Agreement.objects.all().delete()
    for name_ja, name_en, summary_ja in records:
        make_agreement(name_ja=name_ja or "協定", name_en=name_en, summary_ja=summary_ja)
    # Queries cut from the stored text (so most of them match something), and free ones.
    queries = list(extra_queries)
    for name_ja, _, summary_ja in records:
        text = name_ja + summary_ja
        if text:
            start = data.draw(st.integers(0, len(text) - 1))
            queries.append(text[start : start + data.draw(st.integers(1, 4))])
    for query in queries:
        terms = normalize_query(query)
        new = set(Agreement.objects.filter(search_q(terms)).values_list("pk", flat=True))
        old = set(Agreement.objects.filter(old_search_q(terms)).values_list("pk", flat=True))
        assert new == old, (query, terms)


@settings(max_examples=20, deadline=None, suppress_health_check=list(HealthCheck))
@given(names=st.lists(texts, min_size=1, max_size=5), roles=st.lists(texts, min_size=1, max_size=5), query=texts)
def test_the_new_search_across_related_fields_matches_the_old(names, roles, query):
    Seat.objects.all().delete()
    for name, role in zip(names, roles, strict=False):
        make_seat(body=make_body(name_ja=name or "協議体"), role=role)
    fields = ("body__search_text", "post__search_text", "role")
    terms = normalize_query(query)
    new = set(Seat.objects.filter(search_q(terms, fields)).values_list("pk", flat=True))
    old = set(Seat.objects.filter(old_search_q(terms, fields)).values_list("pk", flat=True))
    assert new == old, (query, terms)
