"""Accounts and their roles, managed by an administrator who need not be a superuser.

Django's user admin, restricted for whoever is not a superuser: the form holds the
user name, the password (through Django's own password form), name, e-mail, whether
the account is active and its roles — never superuser status, staff status or raw
permissions, which a crafted POST cannot set either, since the form has no such field.
A superuser's account is only shown to them, never changed. See roles.py for what each
role may do."""

from django import forms
from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.contrib.auth.models import Group
from django.utils.translation import gettext_lazy as _

from ..roles import ROLE_HELP, ROLE_NAMES, ROLES
from .base import listed

User = get_user_model()


class RoleField(forms.ModelMultipleChoiceField):
    """The roles as their Japanese names, each with what it may do."""

    def label_from_instance(self, group):
        if group.name in ROLE_NAMES:
            return f"{ROLE_NAMES[group.name]}（{group.name}）: {ROLE_HELP[group.name]}"
        return group.name


def role_label(name) -> str:
    return str(ROLE_NAMES.get(name, name))


admin.site.unregister(User)


@admin.register(User)
class AccountAdmin(UserAdmin):
    list_display = ("username", "last_name", "first_name", "email", "roles", "is_active", "is_superuser")
    list_filter = ("is_active", "groups", "is_superuser")
    account_fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("氏名と連絡先"), {"fields": ("last_name", "first_name", "email")}),
        (_("役割と有効・無効"), {"fields": ("groups", "is_active")}),
        (_("日時"), {"fields": ("last_login", "date_joined")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("groups")

    @admin.display(description=_("役割"))
    def roles(self, user):
        return listed(role_label(group.name) for group in user.groups.all()) or "—"

    def get_fieldsets(self, request, obj=None):
        if obj is not None and not request.user.is_superuser:
            return self.account_fieldsets
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request, obj=None):
        readonly = list(super().get_readonly_fields(request, obj))
        if not request.user.is_superuser:
            readonly += ["last_login", "date_joined"]
        return readonly

    def has_change_permission(self, request, obj=None):
        # A superuser's account (its password above all) would make whoever changes it
        # a superuser: only another superuser may.
        if obj is not None and obj.is_superuser and not request.user.is_superuser:
            return False
        return super().has_change_permission(request, obj)

    def formfield_for_manytomany(self, db_field, request=None, **kwargs):
        if db_field.name == "groups":
            if not request.user.is_superuser:
                kwargs["queryset"] = Group.objects.filter(name__in=ROLES).order_by("pk")
                kwargs["widget"] = forms.CheckboxSelectMultiple
            kwargs["form_class"] = RoleField
            kwargs.setdefault("help_text", _("この人に任せる仕事。複数選べます。役割が一つでもあれば管理画面に入れます。"))
            field = super().formfield_for_manytomany(db_field, request=request, **kwargs)
            field.label = _("役割")
            return field
        return super().formfield_for_manytomany(db_field, request=request, **kwargs)

    def save_related(self, request, form, formsets, change):
        # The form lists the roles only: a group outside them that a superuser gave the
        # account stays, rather than being taken away by a save that never showed it.
        kept = [] if request.user.is_superuser else list(form.instance.groups.exclude(name__in=ROLES))
        super().save_related(request, form, formsets, change)
        user = form.instance
        if kept:
            user.groups.add(*kept)
        # A role is work in the admin, which only staff may enter (as grant_role does).
        if not user.is_staff and user.groups.filter(name__in=ROLES).exists():
            user.is_staff = True
            user.save(update_fields=["is_staff"])
