"""What each export and column means, generated from the entity declarations.

The codebook page (/data/) and the OpenAPI description (/api/openapi.json) both read
these, so neither can describe a column the exports do not have. A column's label is
its own ``description``, else the model field it shows (its translated verbose name),
else a label for a column made of another (``signed_from``: the first day of
``signed``); the code lists are the columns' choices.
"""

from django.core.exceptions import FieldDoesNotExist
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from .entities import ENTITIES, EXPORTS

# Labels of columns that are not a field of the entity's model.
LABELS = {
    "url": _("この記録のページのURL"),
    "parties": _("当事者の名称（; 区切り）"),
    "party_slugs": _("当事者のスラッグ（; 区切り）"),
    "relations": _("他の協定との関係（関係:スラッグ、; 区切り。例: supersedes:security-treaty-1951）"),
    "attendees": _("出席者（側: 役職 氏名、; 区切り）"),
    "documents": _("文書（種別: 名称、; 区切り）"),
    "document_slugs": _("文書（種別:スラッグ、; 区切り）"),
    "member": _("構成員（役職・組織・人物の名称）"),
    "member_slug": _("構成員のスラッグ"),
    "member_type": _("構成員の種類"),
    "meeting": _("会議の名称"),
    "meeting_start": _("会議の開催日"),
    "record_type": _("出典が根拠となる記録の種類"),
    "record_slug": _("記録のスラッグ（スラッグのない記録は自然キーを / で連結）"),
    "source_slug": _("資料のスラッグ"),
    "key": _("出典のキー"),
    "name_text": _("人物の記録がない出席者の表記"),
    "person_en": _("人物の氏名（英語）"),
    "post_en": _("役職の名称（英語）"),
    "parties_en": _("当事者の名称（英語、; 区切り）"),
    "first_seen": _("資料でこの役職にあったことが確かめられる最初の日（就任日ではない。会議の日など）"),
    "last_seen": _("資料でこの役職にあったことが確かめられる最後の日（退任日ではない。会議の日など）"),
}
SUFFIXES = [
    ("_en", _("%(base)s（英語）")),
    ("_precision", _("%(base)sの精度")),
    ("_from", _("%(base)sの期間の初日")),
    ("_to", _("%(base)sの期間の末日")),
    ("_slug", _("%(base)sのスラッグ")),
]
TYPES = {
    "string": _("文字列"),
    "integer": _("整数"),
    "boolean": _("真偽値（true・false）"),
    "date": _("日付（YYYY-MM-DD）"),
    "partial_date": _("精度つき日付（YYYY、YYYY-MM、YYYY-MM-DD）"),
    "url": _("URL"),
}


def field_label(model, name):
    for candidate in (name, f"{name}_date"):
        try:
            return model._meta.get_field(candidate).verbose_name
        except FieldDoesNotExist:
            continue
    return None


def base_label(entity, name):
    return LABELS.get(name) or field_label(entity.model, name) or name


def column_label(entity, column):
    if column.description:
        return column.description
    if column.header in LABELS:
        return LABELS[column.header]
    label = field_label(entity.model, column.header)
    if label:
        return label
    for suffix, template in SUFFIXES:
        if column.header.endswith(suffix):
            base = base_label(entity, column.header.removesuffix(suffix))
            return str(template) % {"base": base}
    return column.header


def column_description(entity, column):
    """What the column holds, in a sentence: its meaning, its type and its codes (the data
    package's field description, the codebook's row)."""
    parts = [str(column_label(entity, column)), str(TYPES[column.type])]
    if column.codes:
        codes = ", ".join(f"{code} = {label}" for code, label in column.codes)
        parts.append(gettext("コード: %(codes)s") % {"codes": codes})
    if column.references:
        target = EXPORTS[column.references]
        parts.append(gettext("%(path)s の %(key)s と結合できる") % {
            "path": f"{target.path}.csv", "key": "slug" if "slug" in target.headers else "key"})
    return " — ".join(parts)


def exports():
    """Each export entity with its URLs and its columns, described."""
    out = []
    for entity in EXPORTS.values():
        out.append(
            {
                "entity": entity,
                "title": entity.verbose_name_plural,
                "urls": [reverse(f"alliance:{entity.name}-{kind}") for kind in ("csv", "json", "ndjson", "xlsx")],
                "list_url": reverse(f"alliance:{entity.name}-list") if entity.listed else None,
                "detail_json": (
                    reverse(f"alliance:{entity.name}-detail-json", args=["slug"]).replace("/slug/", "/<slug>/")
                    if entity.detailed
                    else None
                ),
                "filters": [p for flt in entity.filters for p in flt.parameters()],
                "sorts": list(entity.sorts),
                "columns": [
                    {
                        "header": c.header,
                        "type": TYPES[c.type],
                        "label": column_label(entity, c),
                        "codes": c.codes,
                    }
                    for c in entity.columns
                ],
            }
        )
    return out


def detail_only():
    """The entities with detail JSON but no list exports (organizations, posts)."""
    return [entity for entity in ENTITIES.values() if entity.detailed and not entity.has_exports]


def code_lists():
    """Every code list once, with the columns that use it: [(codes, ["agreements.kind", …])]."""
    lists = {}
    for entity in EXPORTS.values():
        for column in entity.columns:
            if column.codes:
                lists.setdefault(column.codes, []).append(f"{entity.path}.{column.header}")
    return [(codes, users) for codes, users in lists.items()]
