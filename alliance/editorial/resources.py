"""Import and export of every curated model (django-import-export).

Rows are matched by slug (or the model's natural key), related records are named by
their slugs, and partial dates are read in every form the admin accepts. Files are CSV
or XLSX only; CSV is written the way the public export writes it (BOM, CRLF, formula
cells prefixed with '), and those prefixes are taken off again on import so that a
file exported and re-imported changes nothing.
"""

import json

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets

from ..models import (
    CITABLE,
    CITED_FIELDS,
    Agreement,
    AgreementRelation,
    Body,
    BodyLink,
    Citation,
    Event,
    Meeting,
    MeetingDocument,
    Organization,
    Participation,
    Person,
    Post,
    Seat,
    Source,
    Tenure,
)
from ..models.base import normalise_newlines
from ..partial_dates import PartialDate
from . import locking
from .importfiles import (  # noqa: F401 (the import files' formats and limits, named here as before)
    FORMATS,
    MAX_IMPORT_BYTES,
    MAX_IMPORT_CHARS,
    MAX_IMPORT_ROWS,
    TOO_LARGE,
    ImportFileError,
    RegistryCSV,
    RegistryTmpStorage,
    RegistryXLSX,
    check_import_file,
    valid_tmp_name,
)
from .naming import fill_blank_names
from .publishing import add_to_revision, may_set_status, needs_review, propose


def row_outcome(result) -> list:
    """What a preview said each row would do and what it compared the row with: its line,
    key, outcome (new, update, revision, skip) and a digest of the stored record it read.
    The confirmation reads the same for every row and refuses if any differs."""
    return [
        [row.number, getattr(row, "key", ""), row.import_type if not getattr(row, "proposed", False) else "revision",
         None if row.import_type == "new" else row.object_id, getattr(row, "stored", None)]
        for row in result.rows
    ]


PREVIEW_ROWS = 200  # rows the preview shows in full; every row is still read and checked
PREVIEW_CHARS = 300  # characters of a value the preview shows


def _shown(value) -> str:
    text = "" if value is None else str(value)
    if len(text) > PREVIEW_CHARS:
        return f"{text[:PREVIEW_CHARS]}…（全{len(text):,}文字）"
    return text


class BoundedDiff(resources.Diff):
    """The preview's before/after of a row, bounded: values cut at PREVIEW_CHARS, and no
    diff at all past the first PREVIEW_ROWS rows (they are counted, not shown), so that a
    file's preview stays a page of a few megabytes whatever the file holds."""

    def __init__(self, resource, instance, new):
        # (import-export's Diff reads the values through ``Diff._read_field_values``, by
        # name, so an override of that alone is never called: both reads are here.)
        self.shown = getattr(resource, "_row_number", 0) <= PREVIEW_ROWS
        self.left = self._read_field_values(resource, instance) if self.shown else []
        self.right = []
        self.new = new

    def compare_with(self, resource, instance):
        self.right = self._read_field_values(resource, instance) if self.shown else []

    @classmethod
    def _read_field_values(cls, resource, instance):
        return [_shown(f.export(instance)) for f in resource.get_import_fields()]

    def as_html(self):
        return super().as_html() if self.shown else None


# --- widgets -------------------------------------------------------------------------


class PartialDateWidget(widgets.Widget):
    """1996, 2009-11, 2017-04-25, 2009年11月, 平成21年11月, 2022年度, 2025年3月末 … in;
    ISO at its precision out (FY2022 for a fiscal year, "2025-03 end" with a qualifier)."""

    def clean(self, value, row=None, **kwargs):
        if value is None:
            return None
        if hasattr(value, "year") and hasattr(value, "month"):  # a date cell from XLSX
            return PartialDate.of(value.year, value.month, value.day)
        text = str(value).strip()
        if not text:
            return None
        if text.isdigit() and len(text) == 4:
            return PartialDate.of(int(text))
        try:
            return PartialDate.parse(text)
        except ValidationError as exc:
            raise ValueError(" ".join(exc.messages)) from exc

    def render(self, value, obj=None, **kwargs):
        return value.iso() if value else ""


class SlugWidget(widgets.ForeignKeyWidget):
    """A related record named by its slug; an unknown slug is a clear error, not a crash."""

    def __init__(self, model, label):
        super().__init__(model, field="slug")
        self.label = label

    def clean(self, value, row=None, **kwargs):
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        try:
            return self.model._default_manager.get(slug=text)
        except self.model.DoesNotExist as exc:
            raise ValueError(f"「{text}」というスラッグの{self.label}は登録されていません。") from exc


class SlugListWidget(widgets.ManyToManyWidget):
    def __init__(self, model, label):
        super().__init__(model, separator=";", field="slug")
        self.label = label

    def clean(self, value, row=None, **kwargs):
        slugs = [s.strip() for s in str(value or "").split(";") if s.strip()]
        found = {obj.slug: obj for obj in self.model._default_manager.filter(slug__in=slugs)}
        missing = [s for s in slugs if s not in found]
        if missing:
            raise ValueError(f"{self.label}のスラッグが見つかりません: {', '.join(missing)}")
        return [found[s] for s in slugs]

    def render(self, value, obj=None, **kwargs):
        return ";".join(o.slug for o in value.all()) if value is not None else ""


class NaturalKeyWidget(widgets.Widget):
    """A record without a slug, named by its natural key joined with "/"
    (an attendee: ``scc-2023-01/2``; a relation: ``sofa/based_on/security-treaty-1960``)."""

    def __init__(self, model):
        super().__init__()
        self.model = model

    def clean(self, value, row=None, **kwargs):
        text = str(value).strip() if value is not None else ""
        if not text:
            return None
        try:
            return self.model._default_manager.get_by_natural_key(*text.split("/"))
        except (self.model.DoesNotExist, ValueError, TypeError) as exc:
            raise ValueError(f"「{text}」という{self.model._meta.verbose_name}は登録されていません。") from exc

    def render(self, value, obj=None, **kwargs):
        return "/".join(str(part) for part in value.natural_key()) if value is not None else ""


class YesNoWidget(widgets.BooleanWidget):
    TRUE = {"1", "true", "yes", "y", "はい", "○", "◯"}
    FALSE = {"", "0", "false", "no", "n", "いいえ", "×", "none"}

    def clean(self, value, row=None, **kwargs):
        text = str(value).strip().lower() if value is not None else ""
        if text in self.TRUE:
            return True
        if text in self.FALSE:
            return False
        raise ValueError(f"「{value}」は true / false（はい / いいえ）で入力してください。")

    def render(self, value, obj=None, **kwargs):
        return "true" if value else "false"


def partial_date(name):
    return fields.Field(attribute=name, column_name=name, widget=PartialDateWidget())


def slug_of(name, model, label):
    return fields.Field(attribute=name, column_name=name, widget=SlugWidget(model, label))


# --- resources -----------------------------------------------------------------------


class RegistryMeta:
    """What every resource's Meta says: rows unchanged are skipped and reported, and each
    row's instance is validated as the admin form would (full_clean)."""

    skip_unchanged = True
    report_skipped = True
    store_instance = True  # what each row became (a draft, a revision) is counted for the editor
    clean_model_instances = True
    import_id_fields = ("slug",)


class RegistryResource(resources.ModelResource):
    """All rows or none; a row the editor may not write is a row error, not a silent skip."""

    # An empty XLSX cell is None: text columns take it as "" (they are NOT NULL).
    WIDGETS_MAP = {**resources.ModelResource.WIDGETS_MAP, "TextField": widgets.CharWidget, "SlugField": widgets.CharWidget}

    def before_import(self, dataset, **kwargs):
        self._seen_keys = {}
        self._row_number = 0
        self._row_warnings = []
        # A file may leave out the slug column as it may leave a slug blank: each new row
        # is given one by the rule of the guided form (see naming.fill_blank_names).
        if self._meta.import_id_fields == ("slug",) and dataset.headers and "slug" not in dataset.headers:
            dataset.append_col([""] * len(dataset), header="slug")
        super().before_import(dataset, **kwargs)

    def get_diff_class(self):
        return BoundedDiff

    def import_row(self, row, instance_loader, **kwargs):
        self._user = kwargs.get("user")
        self._row_number = kwargs.get("row_number") or self._row_number + 1
        self._row_warnings = []
        self._stored = None
        self._proposed_row = False
        row_result = super().import_row(row, instance_loader, **kwargs)
        # Shown beside the row in the preview; they do not stop the import.
        row_result.warnings = self._row_warnings
        # What the confirmation must find again (see row_outcome).
        row_result.number = self._row_number
        row_result.key = "/".join(str(row.get(self.fields[f].column_name) or "").strip() for f in self.get_import_id_fields())
        row_result.stored = self._stored
        row_result.proposed = self._proposed_row
        return row_result

    def after_init_instance(self, instance, new, row, **kwargs):
        """An existing record is read under its lock at the confirmation (the lock every
        editorial write takes first: see locking), so nobody changes it between the
        comparison with the preview and the write; its stored values are digested for
        that comparison."""
        super().after_init_instance(instance, new, row, **kwargs)
        if new or instance.pk is None:
            return
        if not kwargs.get("dry_run"):
            locking.lock(instance)
            instance.refresh_from_db()
        self._stored = locking.fingerprint(type(instance), instance.pk, inlines=False)

    def likely_duplicates(self, instance) -> list:
        """Existing records a new row probably repeats under another key (none by default)."""
        return []

    def after_import(self, dataset, result, **kwargs):
        """At the confirmation, every row must do what the preview said, against the same
        stored record; if any differs (another editor changed a record in between, or
        made one the file adds), the import is rolled back and the rows named."""
        super().after_import(dataset, result, **kwargs)
        expected = kwargs.get("preview_outcome")
        if expected is None:
            return
        now = json.loads(json.dumps(row_outcome(result)))
        if len(now) != len(expected):
            raise ValueError("プレビューの後にファイルかデータが変わりました。もう一度ファイルを選んでプレビューしてください。")
        changed = [f"{line + 1}行目（{key}）" if key else f"{line + 1}行目" for (line, key, *_), before in zip(now, expected, strict=True) if [line, key, *_] != before]
        if changed:
            shown = "、".join(changed[:20]) + (f" ほか{len(changed) - 20}行" if len(changed) > 20 else "")
            raise ValueError(
                f"プレビューの後に、これらの行の記録が変わりました（ほかの人の変更か追加）: {shown}。"
                "ファイルの値で上書きしないよう、取り込みをやめました。もう一度ファイルを選んでプレビューし、変更を確かめてください。"
            )

    def _duplicate_key_error(self, row):
        """A second row in the same file with the same key (slug) as an earlier one."""
        key = tuple(str(row.get(self.fields[f].column_name, "")).strip() for f in self._meta.import_id_fields)
        seen = getattr(self, "_seen_keys", None)
        if seen is None or not any(key):
            return None
        if key in seen:
            return f"同じ{'・'.join(self._meta.import_id_fields)}（{'/'.join(key)}）の行がこのファイルに2回あります（{seen[key]}件目と重複）。"
        seen[key] = self._row_number
        return None

    def import_instance(self, instance, row, **kwargs):
        """Check many-to-many cells with the other fields, so an unknown slug is a field error."""
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.error_dict
        # Before the row is compared with what is stored (skip_unchanged), not only at full_clean.
        normalise_newlines(instance)
        if instance.pk is None:
            fill_blank_names(instance)
            for other in self.likely_duplicates(instance):
                self._row_warnings.append(
                    f"重複の疑い: 同じ内容の{other._meta.verbose_name}「{other}」（{getattr(other, 'slug', other.pk)}）がすでにあります。"
                    "既存の記録を直すなら、その識別子（slug）の行にしてください。"
                )
        duplicate = self._duplicate_key_error(row)
        if duplicate:
            errors[self._meta.import_id_fields[0]] = [ValidationError(duplicate, code="duplicate")]
        for field in self.get_import_fields():
            if isinstance(field.widget, widgets.ManyToManyWidget) and field.column_name in row:
                try:
                    field.clean(row)
                except ValueError as exc:
                    errors[field.attribute] = [ValidationError(str(exc), code="invalid")]
        if errors:
            raise ValidationError(errors)

    def validate_instance(self, instance, import_validation_errors=None, validate_unique=True):
        errors = dict(import_validation_errors or {})
        status = getattr(instance, "status", None)
        if status is not None and not self._may_set_status(instance):
            errors["status"] = ValidationError(
                "公開・非公開を切り替える権限がありません。status を draft にするか、公開担当者に依頼してください。"
            )
        super().validate_instance(instance, errors, validate_unique)

    def _may_set_status(self, instance):
        user = getattr(self, "_user", None)
        return may_set_status(user, instance)

    def save_instance(self, instance, is_create, row, **kwargs):
        """An editor's change to a published record is held as a revision for a publisher."""
        if not is_create and needs_review(getattr(self, "_user", None), instance):
            file_name = kwargs.get("file_name") or "ファイル"
            instance._alliance_revision = propose(self._user, instance, via=f"取込: {file_name}"[:100])
            instance._alliance_proposed = True
            self._proposed_row = True
            return
        super().save_instance(instance, is_create, row, **kwargs)

    def save_m2m(self, instance, row, **kwargs):
        if getattr(instance, "_alliance_proposed", False):
            for field in self.get_import_fields():
                if isinstance(field.widget, widgets.ManyToManyWidget) and field.column_name in row:
                    values = field.clean(row)
                    revision = instance._alliance_revision
                    if revision is None:
                        revision = instance._alliance_revision = propose(
                            self._user, instance, m2m={field.attribute: values}, via="取込"
                        )
                    else:
                        add_to_revision(revision, instance, field.attribute, values)
            return
        super().save_m2m(instance, row, **kwargs)

    def before_save_instance(self, instance, row, **kwargs):
        # Recorded in the history of the record, with the editor as its author.
        instance._change_reason = f"取込: {kwargs.get('file_name') or 'ファイル'}"[:100]


class SourceResource(RegistryResource):
    issued = partial_date("issued")

    class Meta(RegistryMeta):
        model = Source
        # The text is given in the admin form (a spreadsheet cell holds 32,767 characters at most).
        fields = (
            "slug", "status", "title_ja", "title_en", "publisher_ja", "publisher_en", "edition", "issued", "year",
            "part", "part_en", "file_name", "url", "licence", "licence_en",
        )


class OrganizationResource(RegistryResource):
    parent = slug_of("parent", Organization, "組織")
    established = partial_date("established")
    ended = partial_date("ended")

    class Meta(RegistryMeta):
        model = Organization
        fields = (
            "slug", "status", "name_ja", "yomi", "name_en", "name_en_basis", "name_en_note", "abbreviation", "other_names",
            "kind", "country", "parent", "established", "ended", "note",
        )


class PostResource(RegistryResource):
    organization = slug_of("organization", Organization, "組織")

    class Meta(RegistryMeta):
        model = Post
        fields = ("slug", "status", "name_ja", "yomi", "name_en", "name_en_basis", "name_en_note", "abbreviation", "other_names", "organization", "country", "note")


class PersonResource(RegistryResource):
    class Meta(RegistryMeta):
        model = Person
        fields = ("slug", "status", "name_ja", "yomi", "name_en", "name_en_basis", "name_en_note", "other_names", "country", "note")


class TenureResource(RegistryResource):
    person = slug_of("person", Person, "人物")
    post = slug_of("post", Post, "役職")
    start = partial_date("start")
    end = partial_date("end")

    class Meta(RegistryMeta):
        model = Tenure
        fields = ("slug", "status", "person", "post", "start", "end", "note")


class AgreementResource(RegistryResource):
    parties = fields.Field(attribute="parties", column_name="parties", widget=SlugListWidget(Organization, "当事者"))
    signed = partial_date("signed")
    issued = partial_date("issued")
    adopted = partial_date("adopted")
    approved = partial_date("approved")
    in_force = partial_date("in_force")
    ended = partial_date("ended")
    period_from = partial_date("period_from")
    period_until = partial_date("period_until")

    class Meta(RegistryMeta):
        model = Agreement
        fields = (
            "slug", "status", "name_ja", "yomi", "name_en", "name_en_basis", "name_en_note", "abbreviation", "other_names", "kind",
            "official_name_ja", "official_name_en", "parties", "signed", "issued", "adopted", "approved", "in_force",
            "ended", "period_from", "period_until", "summary_ja", "summary_en", "note",
        )


class AgreementRelationResource(RegistryResource):
    subject = slug_of("subject", Agreement, "協定")
    object = slug_of("object", Agreement, "協定")

    class Meta(RegistryMeta):
        model = AgreementRelation
        import_id_fields = ("subject", "kind", "object")
        fields = ("subject", "kind", "object", "note")


class BodyResource(RegistryResource):
    parent = slug_of("parent", Body, "協議体")
    predecessor = slug_of("predecessor", Body, "協議体")
    legal_basis = slug_of("legal_basis", Agreement, "協定")
    established_at = slug_of("established_at", Meeting, "会議")
    established = partial_date("established")
    ended = partial_date("ended")

    class Meta(RegistryMeta):
        model = Body
        fields = (
            "slug", "status", "name_ja", "yomi", "name_en", "name_en_basis", "name_en_note", "abbreviation", "other_names", "kind", "level", "position",
            "parent", "purpose_ja", "purpose_en", "established", "ended", "legal_basis", "legal_basis_article", "legal_basis_article_en",
            "established_at", "establishment_note", "predecessor", "note",
        )


class BodyLinkResource(RegistryResource):
    from_body = slug_of("from_body", Body, "協議体")
    to_body = slug_of("to_body", Body, "協議体")
    start = partial_date("start")
    end = partial_date("end")

    class Meta(RegistryMeta):
        model = BodyLink
        fields = ("slug", "status", "from_body", "kind", "to_body", "label_ja", "label_en", "start", "end", "note")


class SeatResource(RegistryResource):
    body = slug_of("body", Body, "協議体")
    post = slug_of("post", Post, "役職")
    organization = slug_of("organization", Organization, "組織")
    person = slug_of("person", Person, "人物")
    as_needed = fields.Field(attribute="as_needed", column_name="as_needed", widget=YesNoWidget())
    start = partial_date("start")
    end = partial_date("end")

    class Meta(RegistryMeta):
        model = Seat
        fields = (
            "slug", "status", "body", "side", "post", "organization", "person", "role", "role_en", "level", "as_needed",
            "position", "start", "end", "note",
        )


class MeetingResource(RegistryResource):
    body = slug_of("body", Body, "協議体")
    start = partial_date("start")
    end = partial_date("end")

    def likely_duplicates(self, instance):
        return list(Meeting.objects.likely_duplicates_of(instance)[:3])

    class Meta(RegistryMeta):
        model = Meeting
        fields = (
            "slug", "status", "name_ja", "yomi", "name_en", "name_en_basis", "name_en_note", "abbreviation", "other_names", "body", "kind", "session_number",
            "start", "end", "place_ja", "place_en", "summary_ja", "summary_en", "outcomes_ja", "outcomes_en", "note",
        )


class EventResource(RegistryResource):
    part_of = slug_of("part_of", Event, "出来事")
    start = partial_date("start")
    end = partial_date("end")
    bodies = fields.Field(attribute="bodies", column_name="bodies", widget=SlugListWidget(Body, "協議体"))
    organizations = fields.Field(
        attribute="organizations", column_name="organizations", widget=SlugListWidget(Organization, "組織")
    )
    people = fields.Field(attribute="people", column_name="people", widget=SlugListWidget(Person, "人物"))
    agreements = fields.Field(attribute="agreements", column_name="agreements", widget=SlugListWidget(Agreement, "協定"))
    meetings = fields.Field(attribute="meetings", column_name="meetings", widget=SlugListWidget(Meeting, "会議"))

    class Meta(RegistryMeta):
        model = Event
        fields = (
            "slug", "status", "name_ja", "name_en", "abbreviation", "other_names", "kind", "start", "end",
            "place_ja", "place_en", "summary_ja", "summary_en", "part_of", "bodies", "organizations", "people",
            "agreements", "meetings", "note",
        )


class ParticipationResource(RegistryResource):
    meeting = slug_of("meeting", Meeting, "会議")
    person = slug_of("person", Person, "人物")
    post = slug_of("post", Post, "役職")
    organization = slug_of("organization", Organization, "組織")

    class Meta(RegistryMeta):
        model = Participation
        import_id_fields = ("meeting", "position")
        fields = ("meeting", "position", "side", "person", "post", "organization", "name_text", "role", "role_en")


class MeetingDocumentResource(RegistryResource):
    meeting = slug_of("meeting", Meeting, "会議")
    agreement = slug_of("agreement", Agreement, "協定")

    class Meta(RegistryMeta):
        model = MeetingDocument
        import_id_fields = ("meeting", "kind", "agreement")
        fields = ("meeting", "kind", "agreement")


def _citation_resource():
    """Citations name their source and their one record by slug (or natural key), with a
    column for every citable model in the registry, so any citation exported can be
    imported back."""
    attrs = {
        "source": slug_of("source", Source, "資料"),
        "covers_parts": fields.Field(attribute="covers_parts", column_name="covers_parts", widget=YesNoWidget()),
    }
    for entry in CITABLE:
        if "slug" in {f.name for f in entry.model._meta.fields}:
            attrs[entry.cited_as] = slug_of(entry.cited_as, entry.model, str(entry.model._meta.verbose_name))
        else:
            attrs[entry.cited_as] = fields.Field(
                attribute=entry.cited_as, column_name=entry.cited_as, widget=NaturalKeyWidget(entry.model)
            )
    meta = type(
        "Meta",
        (RegistryMeta,),
        {
            "model": Citation,
            "import_id_fields": ("key",),
            "fields": ("key", "source", "locator", "quote", "field", *CITED_FIELDS, "covers_parts"),
        },
    )
    return type("CitationResource", (RegistryResource,), {**attrs, "Meta": meta, "__module__": __name__})


CitationResource = _citation_resource()


def resource_for(model):
    """The import resource of a registry model."""
    return RESOURCES[model]


RESOURCES = {resource._meta.model: resource for resource in RegistryResource.__subclasses__()}
