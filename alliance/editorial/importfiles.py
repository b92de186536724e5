"""Import files: what is read from them, within what limits, and where they wait between
the preview and the confirmation.

The limits are counted by the very reader that builds the rows, as it reads, and it stops
at the first limit passed: there is no separate, cheaper count that a file can be shaped
to pass (a CSV with CR-only line ends is as many rows to ``csv`` as to the check; an XLSX
row without attributes is a row to openpyxl and so to the count). Besides rows, the reader
bounds the columns and the characters a file may expand to, in a cell and in all: an XLSX
stores a repeated text once (its shared strings), so a file of a few kilobytes can hold
thousands of cells of 200,000 characters each. A file past a limit is refused with the
limit named, before any row is compared with the registry.
"""

import csv
import io
import os
import re
import tempfile
import time
import uuid
import zipfile

import tablib
from django.core.exceptions import PermissionDenied
from import_export.formats import base_formats
from import_export.tmp_storages import TempFolderStorage

from ..public.cells import cell, unguard

MAX_IMPORT_BYTES = 5 * 1024 * 1024
MAX_IMPORT_UNCOMPRESSED = 25 * 1024 * 1024  # an XLSX is a zip: what its parts expand to
MAX_IMPORT_ROWS = 5000  # data rows, the header not counted
MAX_IMPORT_COLUMNS = 100  # the widest import (citations) has 21
MAX_CELL_CHARS = 32_767  # what a spreadsheet cell holds
MAX_IMPORT_CHARS = 5_000_000  # all the cells' text together: what a 5 MB CSV can hold at most
TOO_LARGE = "ファイルが大きすぎます（5MBまで）。分けて取り込んでください。"


class ImportFileError(ValueError):
    """A file refused before its rows are compared with the registry; the message is for the editor."""


def _too_many_rows() -> ImportFileError:
    return ImportFileError(f"行が多すぎます（{MAX_IMPORT_ROWS:,}行まで）。ファイルを分けて取り込んでください。")


class _Limits:
    """Counts rows and characters as the rows are read, and refuses at the first limit passed."""

    def __init__(self):
        self.rows = -1  # the header is row 0
        self.chars = 0

    def row(self, values) -> list:
        self.rows += 1
        line = self.rows + 1
        if self.rows > MAX_IMPORT_ROWS:
            raise _too_many_rows()
        if len(values) > MAX_IMPORT_COLUMNS:
            raise ImportFileError(f"{line}行目: 列が多すぎます（{MAX_IMPORT_COLUMNS}列まで）。")
        for value in values:
            if isinstance(value, str):
                if len(value) > MAX_CELL_CHARS:
                    raise ImportFileError(
                        f"{line}行目: {len(value):,}文字のセルがあります（1つのセルは{MAX_CELL_CHARS:,}文字まで）。"
                    )
                self.chars += len(value)
        if self.chars > MAX_IMPORT_CHARS:
            raise ImportFileError(
                f"{line}行目まででファイルの文字が多すぎます（全体で{MAX_IMPORT_CHARS:,}文字まで）。ファイルを分けて取り込んでください。"
            )
        return values


def _dataset(rows) -> tablib.Dataset:
    """A dataset as tablib builds one (the first row names the columns; a short row is
    filled with empty cells), with the formula guard of our exports taken off each cell."""
    dataset = None
    for values in rows:
        if dataset is None:
            dataset = tablib.Dataset(headers=[str(h).strip() if h is not None else "" for h in values])
            continue
        if not values:
            continue
        values = [unguard(value) for value in values]
        if len(values) < dataset.width:
            values += [""] * (dataset.width - len(values))
        elif len(values) > dataset.width:
            extra = values[dataset.width:]
            if any(value not in (None, "") for value in extra):
                raise ImportFileError(f"{len(dataset) + 2}行目: 列名のない列に値があります。1行目の列名を確かめてください。")
            values = values[: dataset.width]
        dataset.append(values)
    return dataset if dataset is not None else tablib.Dataset()


def read_csv(text: str) -> tablib.Dataset:
    """The rows of a CSV text (a BOM taken off; CRLF, LF or CR line ends, quoted line
    breaks kept), within the limits."""
    limits = _Limits()
    reader = csv.reader(io.StringIO(text.lstrip("\ufeff"), newline=""))
    try:
        return _dataset(limits.row(values) for values in reader)
    except csv.Error as exc:
        raise ImportFileError(f"{limits.rows + 2}行目: CSVとして読めません（{exc}）。") from None


def read_xlsx(data: bytes) -> tablib.Dataset:
    """The rows of an XLSX's active sheet, read as openpyxl streams them, within the limits.

    The sheet's own dimension is not trusted: the row is read one column past the header's
    width at most, so a cell at column XFD makes no 16,384-cell rows."""
    from openpyxl import load_workbook

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise ImportFileError(f"XLSX形式のファイルとして読めません（{type(exc).__name__}）。") from None
    try:
        sheet = book.active
        if sheet is None:
            raise ImportFileError("XLSXにシートがありません。")
        # The sheet's <dimension> is the writer's claim, not the rows: read every row there is.
        sheet.reset_dimensions()
        limits = _Limits()
        header = next(sheet.iter_rows(min_row=1, max_row=1, max_col=MAX_IMPORT_COLUMNS + 1, values_only=True), ())
        header = list(header)
        while header and header[-1] in (None, ""):
            header.pop()
        width = len(header)

        def rows():
            yield limits.row(header)
            for values in sheet.iter_rows(min_row=2, max_col=max(width, 1) + 1, values_only=True):
                yield limits.row(list(values))

        try:
            return _dataset(rows())
        except (KeyError, ValueError, TypeError, IndexError) as exc:
            if isinstance(exc, ImportFileError):
                raise
            raise ImportFileError(f"XLSX形式のファイルとして読めません（{type(exc).__name__}）。") from None
    finally:
        book.close()


def check_import_file(name: str, data: bytes, xlsx: bool) -> tablib.Dataset:
    """Refuse a file that is empty, too large, not what it claims, (CSV) not UTF-8, or past
    a limit; otherwise return its rows. An XLSX's uncompressed size is read from its zip
    directory first, so a small file that expands to hundreds of megabytes is refused
    without being expanded."""
    name = name.lower()
    if not data:
        raise ImportFileError("ファイルが空です。")
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFileError(TOO_LARGE)
    is_zip = data[:4] == b"PK\x03\x04"
    if xlsx:
        if not name.endswith(".xlsx") or not is_zip:
            raise ImportFileError("XLSX形式のファイルではありません。形式の選択とファイルを確かめてください。")
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                expanded = sum(info.file_size for info in archive.infolist())
        except zipfile.BadZipFile:
            raise ImportFileError("XLSX形式のファイルではありません（壊れています）。") from None
        if expanded > MAX_IMPORT_UNCOMPRESSED:
            raise ImportFileError(
                f"展開すると大きすぎるXLSXです（{expanded // 1024 // 1024:,}MB、{MAX_IMPORT_UNCOMPRESSED // 1024 // 1024}MBまで）。"
            )
        return read_xlsx(data)
    if is_zip or not name.endswith(".csv"):
        raise ImportFileError("CSV形式のファイルではありません。形式の選択とファイルを確かめてください。")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ImportFileError(
            "文字コードがUTF-8ではありません（Shift_JISなど）。Excelでは「CSV UTF-8（コンマ区切り）」で保存し直してください。"
        ) from None
    return read_csv(text)


# --- file formats ------------------------------------------------------------------


class RegistryCSV(base_formats.CSV):
    """UTF-8 with BOM, CRLF, formula cells guarded: what Excel on a Japanese PC opens cleanly."""

    def export_data(self, dataset, **kwargs):
        out = io.StringIO(newline="")
        writer = csv.writer(out, lineterminator="\r\n")
        writer.writerow(dataset.headers or [])
        for row in dataset:
            writer.writerow([cell(value) for value in row])
        return "\ufeff" + out.getvalue()

    def create_dataset(self, in_stream, **kwargs):
        if isinstance(in_stream, bytes):
            in_stream = in_stream.decode("utf-8-sig")
        return read_csv(in_stream)


class RegistryXLSX(base_formats.XLSX):
    def export_data(self, dataset, **kwargs):
        guarded = dataset.__class__(headers=dataset.headers)
        for row in dataset:
            guarded.append([cell(value) if isinstance(value, str) else value for value in row])
        return super().export_data(guarded, **kwargs)

    def create_dataset(self, in_stream, **kwargs):
        return read_xlsx(in_stream)


FORMATS = [RegistryCSV, RegistryXLSX]


# --- the file between preview and confirmation ---------------------------------------

_TMP_NAME = re.compile(r"[0-9a-f]{32}")


def valid_tmp_name(name: str) -> bool:
    return bool(_TMP_NAME.fullmatch(name or ""))


class ImportAlreadyTaken(Exception):
    """The confirmation's file is gone: confirmed already (perhaps by a second click), or never made."""


KEEP_SECONDS = 24 * 3600  # how long a preview's file waits for its confirmation


class RegistryTmpStorage(TempFolderStorage):
    """The uploaded file between preview and confirmation, in a folder of its own under a
    random name, with what the preview saw beside it (``.preview``). A name from a form
    that is not such a name is refused, so a POST cannot make the confirmation read or
    delete any other file.

    A confirmation first *claims* the file by renaming it (one atomic step): of two
    confirmations of one preview (a double click, two tabs) only one gets the file; the
    other is told the import was already confirmed, and nothing is written twice."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        if self.name is not None and not valid_tmp_name(self.name):
            raise PermissionDenied("not an import file name")
        self.claimed = False

    @staticmethod
    def folder() -> str:
        path = os.path.join(tempfile.gettempdir(), "alliance-imports")
        os.makedirs(path, mode=0o700, exist_ok=True)
        return path

    def get_full_path(self):
        return os.path.join(self.folder(), self.name + (".claimed" if self.claimed else ""))

    def preview_path(self):
        return os.path.join(self.folder(), self.name + ".preview")

    @classmethod
    def sweep(cls, now: float | None = None) -> int:
        """Remove what previews left that nobody confirmed within KEEP_SECONDS (an editor
        who closed the tab): otherwise every abandoned preview stays on disk for good. A
        confirmation after that finds no file and is told so; nothing is written."""
        folder, removed = cls.folder(), 0
        limit = (time.time() if now is None else now) - KEEP_SECONDS
        for entry in os.scandir(folder):
            try:
                # (a claimed file is being confirmed now: it keeps its preview's time, so it
                # is given a day more)
                age_limit = limit - KEEP_SECONDS if entry.name.endswith(".claimed") else limit
                if entry.is_file() and entry.stat().st_mtime < age_limit:
                    os.remove(entry.path)
                    removed += 1
            except FileNotFoundError:
                pass  # claimed or removed by another worker meanwhile
        return removed

    def save(self, data):
        if not self.name:
            self.name = uuid.uuid4().hex
            self.sweep()
        with open(self.get_full_path(), "wb" if isinstance(data, bytes) else "w", encoding=None if isinstance(data, bytes) else self.encoding) as file:
            file.write(data)

    def save_preview(self, text: str) -> None:
        with open(self.preview_path(), "w", encoding="utf-8") as file:
            file.write(text)

    def read_preview(self) -> str | None:
        try:
            with open(self.preview_path(), encoding="utf-8") as file:
                return file.read()
        except FileNotFoundError:
            return None

    def claim(self) -> None:
        """Take the file for this confirmation, or raise ImportAlreadyTaken."""
        unclaimed = self.get_full_path()
        try:
            os.rename(unclaimed, unclaimed + ".claimed")
        except FileNotFoundError:
            raise ImportAlreadyTaken(self.name) from None
        self.claimed = True

    def remove(self):
        for path in (self.get_full_path(), self.preview_path()):
            try:
                os.remove(path)
            except FileNotFoundError:
                pass

    def _open(self, mode="r"):
        return open(self.get_full_path(), mode, encoding=None if "b" in mode else self.encoding)
