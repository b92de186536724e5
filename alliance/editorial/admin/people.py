"""Organizations, posts, people and tenures."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from ...models import (
    Organization,
    Person,
    Post,
    Tenure,
)
from .. import resources
from ..forms import registry_form
from .base import NAME_SEARCH, CitationInline, RegistryAdmin, date_column, registry_inline


@admin.register(Organization)
class OrganizationAdmin(RegistryAdmin):
    resource_classes = [resources.OrganizationResource]
    form = registry_form(Organization)
    list_display = ("name_ja", "abbreviation", "name_en", "kind", "country", "parent", "status")
    list_filter = ("status", "country", "kind", "name_en_basis")
    list_select_related = ("parent",)
    search_fields = NAME_SEARCH
    autocomplete_fields = ("parent",)
    inlines = (CitationInline,)
    fieldsets = (
        (None, {"fields": (("name_ja", "abbreviation"), "yomi", ("name_en", "name_en_basis"), "name_en_note", "other_names", "slug", "status")}),
        (_("位置づけ"), {"fields": (("kind", "country"), "parent", ("established", "ended"))}),
        (_("編集メモ"), {"fields": ("note",), "classes": ("collapse",)}),
    )


class TenureInline(registry_inline(Tenure)):
    fields = ("post", "person", "start", "end", "slug", "status")
    autocomplete_fields = ("post", "person")


@admin.register(Post)
class PostAdmin(RegistryAdmin):
    resource_classes = [resources.PostResource]
    form = registry_form(Post)
    list_display = ("name_ja", "name_en", "organization", "country", "status")
    list_filter = ("status", "country", "name_en_basis")
    list_select_related = ("organization",)
    search_fields = NAME_SEARCH
    autocomplete_fields = ("organization",)
    inlines = (TenureInline, CitationInline)
    fieldsets = (
        (None, {"fields": (("name_ja", "abbreviation"), "yomi", ("name_en", "name_en_basis"), "name_en_note", "other_names", "slug", "status")}),
        (_("所属"), {"fields": (("organization", "country"),)}),
        (_("編集メモ"), {"fields": ("note",), "classes": ("collapse",)}),
    )


@admin.register(Person)
class PersonAdmin(RegistryAdmin):
    resource_classes = [resources.PersonResource]
    form = registry_form(Person)
    list_display = ("name_ja", "name_en", "country", "status")
    list_filter = ("status", "country", "name_en_basis")
    search_fields = ("slug", "name_ja", "name_en", "other_names")
    inlines = (TenureInline, CitationInline)
    fieldsets = (
        (None, {"fields": ("name_ja", "yomi", ("name_en", "name_en_basis"), "name_en_note", "other_names", "country", "slug", "status")}),
        (_("編集メモ"), {"fields": ("note",), "classes": ("collapse",)}),
    )


@admin.register(Tenure)
class TenureAdmin(RegistryAdmin):
    resource_classes = [resources.TenureResource]
    form = registry_form(Tenure)
    list_display = ("post", "person", "start_display", "end_display", "status")
    list_filter = ("status", "post__country")
    list_select_related = ("post", "person")
    search_fields = ("slug", "post__name_ja", "post__name_en", "person__name_ja", "person__name_en")
    autocomplete_fields = ("post", "person")
    inlines = (CitationInline,)
    fieldsets = ((None, {"fields": ("post", "person", ("start", "end"), "slug", "status", "note")}),)
    start_display = date_column(Tenure, "start")
    end_display = date_column(Tenure, "end")
