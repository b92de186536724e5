"""Import and export of every curated model (django-import-export).

Rows are matched by slug (or the model's natural key), related records are named by
their slugs, and partial dates are read in every form the admin accepts. Files are CSV
or XLSX only; CSV is written the way the public export writes it (BOM, CRLF, formula
cells prefixed with '), and those prefixes are taken off again on import so that a
file exported and re-imported changes nothing.
"""

import csv
import io

from django.core.exceptions import ValidationError
from import_export import fields, resources, widgets
from import_export.formats import base_formats

from ..models import (
    CITABLE,
    CITED_FIELDS,
    Agreement,
    AgreementRelation,
    Body,
    Citation,
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
from ..partial_dates import PartialDate
from ..public.cells import cell, unguard
from .publishing import may_set_status

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
        dataset = super().create_dataset(in_stream.lstrip("\ufeff"), **kwargs)
        return _unescaped(dataset)


class RegistryXLSX(base_formats.XLSX):
    def export_data(self, dataset, **kwargs):
        guarded = dataset.__class__(headers=dataset.headers)
        for row in dataset:
            guarded.append([cell(value) if isinstance(value, str) else value for value in row])
        return super().export_data(guarded, **kwargs)

    def create_dataset(self, in_stream, **kwargs):
        return _unescaped(super().create_dataset(in_stream, **kwargs))


def _unescaped(dataset):
    clean = dataset.__class__(headers=[str(h).strip() if h is not None else "" for h in (dataset.headers or [])])
    for row in dataset:
        clean.append([unguard(value) for value in row])
    return clean


FORMATS = [RegistryCSV, RegistryXLSX]


# --- widgets -------------------------------------------------------------------------


class PartialDateWidget(widgets.Widget):
    """1996, 2009-11, 2017-04-25, 2009年11月, 平成21年11月 … in; ISO at its precision out."""

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
    clean_model_instances = True
    import_id_fields = ("slug",)


class RegistryResource(resources.ModelResource):
    """All rows or none; a row the editor may not write is a row error, not a silent skip."""

    # An empty XLSX cell is None: text columns take it as "" (they are NOT NULL).
    WIDGETS_MAP = {**resources.ModelResource.WIDGETS_MAP, "TextField": widgets.CharWidget, "SlugField": widgets.CharWidget}

    def import_row(self, row, instance_loader, **kwargs):
        self._user = kwargs.get("user")
        return super().import_row(row, instance_loader, **kwargs)

    def import_instance(self, instance, row, **kwargs):
        """Check many-to-many cells with the other fields, so an unknown slug is a field error."""
        errors = {}
        try:
            super().import_instance(instance, row, **kwargs)
        except ValidationError as exc:
            errors = exc.error_dict
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

    def before_save_instance(self, instance, row, **kwargs):
        # Recorded in the history of the record, with the editor as its author.
        instance._change_reason = f"取込: {kwargs.get('file_name') or 'ファイル'}"[:100]


class SourceResource(RegistryResource):
    class Meta(RegistryMeta):
        model = Source
        exclude = ("id",)


class OrganizationResource(RegistryResource):
    parent = slug_of("parent", Organization, "組織")

    class Meta(RegistryMeta):
        model = Organization
        fields = ("slug", "status", "name_ja", "yomi", "name_en", "name_en_basis", "name_en_note", "abbreviation", "other_names", "kind", "country", "parent", "note")


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
    approved = partial_date("approved")
    in_force = partial_date("in_force")
    ended = partial_date("ended")

    class Meta(RegistryMeta):
        model = Agreement
        fields = (
            "slug", "status", "name_ja", "yomi", "name_en", "name_en_basis", "name_en_note", "abbreviation", "other_names", "kind",
            "official_name_ja", "official_name_en", "parties", "signed", "approved", "in_force", "ended",
            "summary_ja", "summary_en", "note",
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

    class Meta(RegistryMeta):
        model = Meeting
        fields = (
            "slug", "status", "name_ja", "yomi", "name_en", "name_en_basis", "name_en_note", "abbreviation", "other_names", "body", "kind", "session_number",
            "start", "end", "place_ja", "place_en", "summary_ja", "summary_en", "outcomes_ja", "outcomes_en", "note",
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
    attrs = {"source": slug_of("source", Source, "資料")}
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
            "fields": ("key", "source", "locator", "quote", "field", *CITED_FIELDS),
        },
    )
    return type("CitationResource", (RegistryResource,), {**attrs, "Meta": meta, "__module__": __name__})


CitationResource = _citation_resource()


def resource_for(model):
    """The import resource of a registry model."""
    return RESOURCES[model]


RESOURCES = {resource._meta.model: resource for resource in RegistryResource.__subclasses__()}
