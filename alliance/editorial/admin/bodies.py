"""Bodies, the links between them, and their seats."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ...models import (
    Body,
    BodyLink,
    Seat,
)
from .. import resources
from ..forms import registry_form
from .base import NAME_SEARCH, CitationInline, RegistryAdmin, date_column, registry_inline


class SeatInline(registry_inline(Seat)):
    fields = ("side", "post", "organization", "person", "role", "level", "as_needed", "position", "start", "end", "slug", "status")
    autocomplete_fields = ("post", "organization", "person")
    verbose_name_plural = _("構成員（席）— 役職・組織・人物のどれか一つ")


class BodyLinkInline(registry_inline(BodyLink)):
    fk_name = "from_body"
    fields = ("kind", "to_body", "label_ja", "start", "end", "slug", "status")
    autocomplete_fields = ("to_body",)
    verbose_name_plural = _("他の協議体との関係（この協議体が…）")


class SubBodyInline(admin.TabularInline):
    model = Body
    fk_name = "parent"
    extra = 0
    fields = ("name_ja", "abbreviation", "kind", "level", "status")
    show_change_link = True
    can_delete = False
    verbose_name_plural = _("下位の枠組み")
    edits_rows = False  # shown only: the body's save writes nothing here (see locking.py)

    def has_add_permission(self, request, obj=None):
        return False

    def get_readonly_fields(self, request, obj=None):
        return self.fields


@admin.register(Body)
class BodyAdmin(RegistryAdmin):
    resource_classes = [resources.BodyResource]
    form = registry_form(Body)
    list_display = ("name_ja", "abbreviation", "slug", "kind", "level", "parent", "established_display", "status")
    list_filter = ("status", "kind", "level", "name_en_basis")
    list_select_related = ("parent",)
    search_fields = (*NAME_SEARCH, "purpose_ja", "purpose_en")
    autocomplete_fields = ("parent", "legal_basis", "established_at", "predecessor")
    inlines = (SeatInline, BodyLinkInline, SubBodyInline, CitationInline)
    fieldsets = (
        (None, {"fields": (("name_ja", "abbreviation"), "yomi", ("name_en", "name_en_basis"), "name_en_note", "other_names", "slug", "status")}),
        (_("位置づけ"), {"fields": (("kind", "level"), "parent", "purpose_ja", "purpose_en")}),
        (
            _("設置と変遷"),
            {
                "fields": (
                    ("established", "ended"),
                    ("legal_basis", "legal_basis_article", "legal_basis_article_en"),
                    "established_at",
                    "establishment_note",
                    "predecessor",
                )
            },
        ),
        (_("編集メモ"), {"fields": ("note",), "classes": ("collapse",)}),
    )
    established_display = date_column(Body, "established")


@admin.register(BodyLink)
class BodyLinkAdmin(RegistryAdmin):
    resource_classes = [resources.BodyLinkResource]
    form = registry_form(BodyLink)
    list_display = ("from_body", "kind", "to_body", "label_ja", "start_display", "status")
    list_filter = ("status", "kind")
    list_select_related = ("from_body", "to_body")
    search_fields = ("slug", "label_ja", "from_body__name_ja", "from_body__abbreviation", "to_body__name_ja", "to_body__abbreviation")
    autocomplete_fields = ("from_body", "to_body")
    inlines = (CitationInline,)
    fieldsets = (
        (None, {"fields": (("from_body", "kind", "to_body"), ("label_ja", "label_en"), ("start", "end"), "slug", "status")}),
        (_("編集メモ"), {"fields": ("note",), "classes": ("collapse",)}),
    )
    start_display = date_column(BodyLink, "start")


@admin.register(Seat)
class SeatAdmin(RegistryAdmin):
    resource_classes = [resources.SeatResource]
    form = registry_form(Seat)
    list_display = ("body", "side", "member_label", "role", "level", "as_needed", "status")
    list_filter = ("status", "side", "level", "as_needed", "body__kind")
    list_select_related = ("body", "post", "organization", "person")
    search_fields = (
        "slug",
        "role",
        "body__name_ja",
        "body__abbreviation",
        "post__name_ja",
        "organization__name_ja",
        "person__name_ja",
    )
    autocomplete_fields = ("body", "post", "organization", "person")
    inlines = (CitationInline,)
    fieldsets = (
        (None, {"fields": ("body", "side", "slug", "status")}),
        (_("席を占めるもの（ちょうど一つ）"), {"fields": ("post", "organization", "person")}),
        (_("役割"), {"fields": (("role", "role_en", "level"), "as_needed", "position", ("start", "end"), "note")}),
    )

    @admin.display(description=_("構成員"))
    def member_label(self, obj):
        return obj.member_label()
