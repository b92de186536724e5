"""XLSX of every list: the CSV's rows, every cell typed as text, nothing a spreadsheet runs or converts."""

import io

import openpyxl
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from alliance.public.cells import unguard
from alliance.public.entities import EXPORTS

from .factories import make_agreement
from .test_json import csv_rows
from .test_lists import fill

pytestmark = pytest.mark.django_db


def workbook_rows(client, name, params=None):
    response = client.get(reverse(f"alliance:{name}-xlsx"), params or {})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert f'filename="alliance-registry_{EXPORTS[name].path}_' in response["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    return list(sheet.iter_rows())


def test_cells_are_text_and_formulas_stay_words(client):
    make_agreement(slug="f", name_ja='=HYPERLINK("http://x")', signed="2009-11", summary_ja="1960")
    header, row = workbook_rows(client, "agreement")
    cells = dict(zip((c.value for c in header), row, strict=True))
    assert cells["name_ja"].value == '=HYPERLINK("http://x")' and cells["name_ja"].data_type == "s"
    assert cells["signed"].value == "2009-11" and cells["signed_to"].value == "2009-11-30"
    assert cells["summary_ja"].value == "1960"
    assert all(c.data_type == "s" and c.number_format == "@" for c in row if c.value is not None)


@pytest.mark.parametrize("name", EXPORTS)
def test_the_xlsx_holds_the_csv_s_rows_in_order(client, name):
    fill(8)
    for params in ({}, {"q": "1"}):
        expected = csv_rows(client, name, params)
        header, *rows = workbook_rows(client, name, params)
        assert [c.value for c in header] == EXPORTS[name].headers
        got = [{h: ("" if c.value is None else c.value) for h, c in zip(EXPORTS[name].headers, row, strict=True)} for row in rows]
        assert got == [{h: unguard(v) for h, v in row.items()} for row in expected]


def test_an_xlsx_costs_the_same_queries_for_500_rows_as_for_5(client, django_assert_num_queries):
    url = reverse("alliance:meeting-xlsx")
    fill(5)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url)
    fill(495)
    with django_assert_num_queries(len(ctx)):
        assert len(workbook_rows(client, "meeting")) == 501
