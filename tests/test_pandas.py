"""A data user's round trip: every public CSV read by pandas gives the types its
declaration states (the codebook and the data package say the same), and written back
out and read again it is unchanged."""

import io

import pandas as pd
import pytest
from django.urls import reverse

from alliance.public.entities import EXPORTS

pytestmark = pytest.mark.django_db

# What pandas should make of each declared type when told only the dates to parse.
PANDAS_KINDS = {"integer": "iu", "boolean": "b", "date": "M", "string": "O", "partial_date": "O", "url": "O"}


def read(raw: bytes, entity) -> pd.DataFrame:
    dates = [c.header for c in entity.columns if c.type == "date"]
    dtypes = {c.header: "Int64" for c in entity.columns if c.type == "integer"}
    dtypes |= {c.header: "boolean" for c in entity.columns if c.type == "boolean"}
    dtypes |= {c.header: "string" for c in entity.columns if c.type in ("string", "partial_date", "url")}
    # The CSV's own BOM is read as UTF-8 with a signature, as pandas users are told to.
    return pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig", dtype=dtypes, parse_dates=dates, keep_default_na=False, na_values=[""])


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_every_csv_reads_into_pandas_with_its_declared_types(client, seeded, name):
    entity = EXPORTS[name]
    raw = b"".join(client.get(reverse(f"alliance:{name}-csv")).streaming_content)
    frame = read(raw, entity)
    assert list(frame.columns) == entity.headers
    assert len(frame) > 0, "the seed data fills every export"
    for column in entity.columns:
        kind = frame[column.header].dtype.kind
        if column.type == "integer":
            assert str(frame[column.header].dtype) == "Int64", column.header
        elif column.type == "boolean":
            assert str(frame[column.header].dtype) == "boolean", column.header
        elif column.type == "date":
            assert kind == "M", (column.header, frame[column.header].dtype)
        else:
            assert str(frame[column.header].dtype) in ("string", "str", "object"), (column.header, frame[column.header].dtype)
            assert kind in PANDAS_KINDS[column.type] or str(frame[column.header].dtype) in ("string", "str")
    # Partial dates stay text: 1996, 2009-11 and 2017-04-25 are not three types.
    for column in entity.columns:
        if column.type == "partial_date":
            values = frame[column.header].dropna()
            assert all(isinstance(v, str) for v in values), column.header


@pytest.mark.parametrize("name", sorted(EXPORTS))
def test_a_csv_written_back_by_pandas_reads_the_same(client, seeded, name):
    entity = EXPORTS[name]
    raw = b"".join(client.get(reverse(f"alliance:{name}-csv")).streaming_content)
    frame = read(raw, entity)
    again = read(frame.to_csv(index=False, date_format="%Y-%m-%d").encode("utf-8-sig"), entity)
    pd.testing.assert_frame_equal(frame, again)
