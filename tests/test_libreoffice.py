"""What a spreadsheet makes of the exports: LibreOffice, headless, as a data user opens them.

LibreOffice reads the CSV's partial dates as three types (1960 a number, 2009-11 text,
2017-04-25 a date), which is why each has ``_from`` and ``_to`` beside it: always a
whole day, so always one type, and sortable. The XLSX's cells are text and stay as
written. CI installs LibreOffice (.ci/run); without it these tests are skipped.
"""

import csv
import io
import shutil
import subprocess

import openpyxl
import pytest
from django.urls import reverse

from .factories import make_agreement

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed"),
]


def convert(tmp_path, name, data: bytes, to: str, infilter: str) -> bytes:
    source = tmp_path / name
    source.write_bytes(data)
    out = tmp_path / "out"
    subprocess.run(
        [
            "soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/profile",
            f"--infilter={infilter}", "--convert-to", to, "--outdir", str(out), str(source),
        ],
        check=True, capture_output=True, timeout=120,
    )
    return next(out.iterdir()).read_bytes()


@pytest.fixture
def agreements(client):
    make_agreement(slug="y", signed="1960", name_ja="=1+2")
    make_agreement(slug="m", signed="2009-11")
    make_agreement(slug="d", signed="2017-04-25")


def test_the_csv_s_from_and_to_columns_are_one_type_in_libreoffice(client, agreements, tmp_path):
    raw = b"".join(client.get(reverse("alliance:agreement-csv"), {"sort": "signed"}).streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(convert(tmp_path, "a.csv", raw, "xlsx", "CSV:44,34,76,1"))).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    rows = [dict(zip(header, (c for c in row), strict=True)) for row in sheet.iter_rows(min_row=2)]
    # The ISO date at its precision: as many types as precisions (why _from and _to exist).
    assert len({row["signed"].data_type for row in rows}) > 1
    for column in ("signed_from", "signed_to"):
        assert {row[column].data_type for row in rows} == {"d"}, column
    assert [row["signed_from"].value.date().isoformat() for row in rows] == ["1960-01-01", "2009-11-01", "2017-04-25"]
    assert rows[0]["name_ja"].data_type == "s", "a guarded cell is not run as a formula"


def test_the_xlsx_keeps_every_date_as_written_in_libreoffice(client, agreements, tmp_path):
    raw = b"".join(client.get(reverse("alliance:agreement-xlsx"), {"sort": "signed"}).streaming_content)
    text = convert(tmp_path, "a.xlsx", raw, 'csv:Text - txt - csv (StarCalc):44,34,76,1', "Calc MS Excel 2007 XML")
    rows = list(csv.DictReader(io.StringIO(text.decode("utf-8-sig"), newline="")))
    assert [(r["slug"], r["signed"], r["signed_to"]) for r in rows] == [
        ("y", "1960", "1960-12-31"), ("m", "2009-11", "2009-11-30"), ("d", "2017-04-25", "2017-04-25"),
    ]
    assert rows[0]["name_ja"] == "=1+2", "a text cell keeps its text and is not run"


def test_without_an_import_filter_libreoffice_ignores_the_bom(client, agreements, tmp_path):
    """What the README and the codebook tell spreadsheet users: opened as it is, LibreOffice
    guesses the CSV's encoding and garbles the Japanese; the XLSX, or the Text Import
    dialog with UTF-8 chosen, reads it right."""
    make_agreement(slug="ja", signed="1996", name_ja="日米地位協定")
    raw = b"".join(client.get(reverse("alliance:agreement-csv"), {"sort": "signed"}).streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    source = tmp_path / "plain.csv"
    source.write_bytes(raw)
    out = tmp_path / "out"
    subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/profile",
         "--convert-to", "xlsx", "--outdir", str(out), str(source)],
        check=True, capture_output=True, timeout=120,
    )
    sheet = openpyxl.load_workbook(next(out.iterdir())).active
    names = [str(c.value) for c in sheet["C"]]
    assert "日米地位協定" not in names, "LibreOffice now reads the BOM: update the README and the codebook"


def test_with_the_utf8_filter_a_year_is_a_number_and_a_day_a_date(client, agreements, tmp_path):
    raw = b"".join(client.get(reverse("alliance:agreement-csv"), {"sort": "signed"}).streaming_content)
    sheet = openpyxl.load_workbook(io.BytesIO(convert(tmp_path, "a.csv", raw, "xlsx", "CSV:44,34,76,1"))).active
    header = [c.value for c in next(sheet.iter_rows(max_row=1))]
    signed = [row[header.index("signed")] for row in sheet.iter_rows(min_row=2)]
    assert [c.data_type for c in signed] == ["n", "s", "d"]


def test_every_xlsx_export_round_trips_through_libreoffice_unchanged(client, tmp_path):
    """Each export's XLSX, opened and saved as CSV by LibreOffice (one run for all of them),
    holds every cell exactly as written."""
    from alliance.public.entities import EXPORTS

    from .test_lists import fill

    fill(3)
    folder = tmp_path / "xlsx"
    folder.mkdir()
    written = {}
    for name, entity in EXPORTS.items():
        raw = b"".join(client.get(reverse(f"alliance:{name}-xlsx")).streaming_content)
        (folder / f"{entity.path}.xlsx").write_bytes(raw)
        sheet = openpyxl.load_workbook(io.BytesIO(raw), read_only=True).active
        written[entity.path] = [["" if c.value is None else c.value for c in row] for row in sheet.iter_rows()]
    out = tmp_path / "out"
    subprocess.run(
        ["soffice", "--headless", "--norestore", f"-env:UserInstallation=file://{tmp_path}/profile",
         "--convert-to", 'csv:Text - txt - csv (StarCalc):44,34,76,1', "--outdir", str(out),
         *sorted(str(p) for p in folder.iterdir())],
        check=True, capture_output=True, timeout=300,
    )
    for path, rows in written.items():
        text = (out / f"{path}.csv").read_bytes().decode("utf-8-sig")
        assert list(csv.reader(io.StringIO(text, newline=""))) == rows, path
    assert len(written) == len(EXPORTS) >= 9
