"""Issue 21, item 9: accounts and their roles are managed in the admin, by an administrator.

The account `make run` prints may add accounts and give them roles; an administrator
who is not a superuser may give roles and nothing more (no superuser status, no raw
permission, no superuser's password); an editor may not manage accounts at all."""

import io
import re

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.management import call_command
from django.forms import MultiWidget
from django.urls import reverse

pytestmark = pytest.mark.django_db

User = get_user_model()
USERS = reverse("admin:auth_user_changelist")
ADD_USER = reverse("admin:auth_user_add")


def change_url(user):
    return reverse("admin:auth_user_change", args=[user.pk])


def as_a_browser_sends(response, **changes):
    """The form on an admin page, posted back as a browser would: every field with the
    value it shows (ticked boxes "on", chosen options by id), then ``changes``."""
    form = response.context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled:
            continue
        value = form[name].value()
        if value is None or value is False or value == "":
            continue
        if value is True:
            value = "on"
        elif isinstance(field.widget, MultiWidget):  # a date and a time: one input each
            for i, part in enumerate(field.widget.decompress(value)):
                data[f"{name}_{i}"] = str(part)
            continue
        elif isinstance(value, list | tuple):
            value = [str(getattr(v, "pk", v)) for v in value]
        data[name] = value
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


@pytest.fixture
def administrator(roles):
    """In the administrators role only: staff, not a superuser."""
    group = Group.objects.filter(name="administrators").first()
    assert group is not None, "there is no administrators role"
    user = User.objects.create_user(username="kanri", password="a-long-test-password", is_staff=True)
    user.groups.set([group])
    return user


def test_the_printed_account_adds_an_editors_only_account_through_the_admin_forms(client):
    out = io.StringIO()
    call_command("setup_local", stdout=out)  # as `make run` does
    printed = out.getvalue()
    username = re.search(r"username: (\S+)", printed).group(1)
    password = re.search(r"password: (\S+)", printed).group(1)
    response = client.post(reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"})
    assert response.status_code == 302, "the printed account logs in"

    assert client.get(USERS).status_code == 200, "the printed account may list the accounts"

    # Django's user admin adds an account in two steps: user name and password, then the rest.
    page = client.get(ADD_USER)
    assert page.status_code == 200
    new_password = "kasumigaseki-2-chome-1"
    response = client.post(
        ADD_USER,
        as_a_browser_sends(page, username="hanako", usable_password="true", password1=new_password, password2=new_password),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response
    hanako = User.objects.get(username="hanako")
    assert response["Location"] == change_url(hanako)

    page = client.get(change_url(hanako))
    assert page.status_code == 200
    editors = Group.objects.get(name="editors")
    response = client.post(
        change_url(hanako),
        as_a_browser_sends(page, last_name="山田", first_name="花子", email="hanako@example.org", is_active="on", groups=[str(editors.pk)]),
    )
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else response

    hanako.refresh_from_db()
    assert set(hanako.groups.values_list("name", flat=True)) == {"editors"}
    assert hanako.is_staff and hanako.is_active and not hanako.is_superuser
    assert (hanako.last_name, hanako.first_name, hanako.email) == ("山田", "花子", "hanako@example.org")
    assert hanako.check_password(new_password)

    client.logout()
    client.post(reverse("admin:login"), {"username": "hanako", "password": new_password, "next": "/admin/"})
    assert client.get(reverse("admin:alliance_body_add")).status_code == 200, "an editor adds records"
    assert client.get(USERS).status_code == 403, "an editor does not manage accounts"


def test_an_administrator_gives_roles_but_never_superuser_status_nor_raw_permissions(client, administrator):
    client.force_login(administrator)
    target = User.objects.create_user(username="jiro", password="a-long-test-password", is_staff=True)
    custom = Group.objects.create(name="everything")
    custom.permissions.set(Permission.objects.all())
    raw = Permission.objects.get(codename="delete_body")
    editors, publishers = Group.objects.get(name="editors"), Group.objects.get(name="publishers")

    page = client.get(change_url(target))
    assert page.status_code == 200
    fields = page.context["adminform"].form.fields
    assert "is_superuser" not in fields and "user_permissions" not in fields and "is_staff" not in fields
    assert set(fields["groups"].queryset.values_list("name", flat=True)) == {"editors", "publishers", "administrators"}
    assert "administrators" in page.content.decode() and "管理者" in page.content.decode()

    crafted = as_a_browser_sends(
        page, is_superuser="on", is_staff="on", user_permissions=[str(raw.pk)], groups=[str(publishers.pk), str(custom.pk)]
    )
    client.post(change_url(target), crafted)
    target.refresh_from_db()
    assert not target.is_superuser, "a crafted is_superuser=on made a superuser"
    assert not target.user_permissions.exists(), "a crafted POST gave a raw permission"
    assert not target.groups.filter(pk=custom.pk).exists(), "a group that is not a role was given"

    response = client.post(change_url(target), as_a_browser_sends(client.get(change_url(target)), groups=[str(publishers.pk)]))
    assert response.status_code == 302
    assert set(target.groups.values_list("name", flat=True)) == {"publishers"}

    # The same crafted fields on the add form and on the administrator's own account.
    new_password = "kasumigaseki-2-chome-1"
    client.post(ADD_USER, {"username": "saburo", "usable_password": "true", "password1": new_password,
                           "password2": new_password, "is_superuser": "on", "user_permissions": [str(raw.pk)]})
    saburo = User.objects.get(username="saburo")
    assert not saburo.is_superuser and not saburo.user_permissions.exists()
    own = as_a_browser_sends(client.get(change_url(administrator)), is_superuser="on", user_permissions=[str(raw.pk)])
    own["groups"] = [*own["groups"], str(editors.pk)]
    assert client.post(change_url(administrator), own).status_code == 302
    administrator.refresh_from_db()
    assert not administrator.is_superuser and not administrator.user_permissions.exists()
    assert set(administrator.groups.values_list("name", flat=True)) == {"administrators", "editors"}

    # A superuser's account is not theirs to change, nor its password.
    root = User.objects.create_superuser(username="root", password="a-long-test-password")
    root_page = client.get(change_url(root))
    assert root_page.status_code == 200 and not root_page.context["has_change_permission"]
    assert client.post(change_url(root), {"username": "root", "is_active": "", "last_name": "x"}).status_code == 403
    password_url = reverse("admin:auth_user_password_change", args=[root.pk])
    assert client.post(password_url, {"password1": new_password, "password2": new_password}).status_code == 403
    root.refresh_from_db()
    assert root.is_active and root.check_password("a-long-test-password") and root.last_name == ""


def test_an_editor_does_not_manage_accounts(client, editor_only, publisher):
    for user in (editor_only, publisher):
        client.force_login(user)
        assert client.get(USERS).status_code == 403
        assert client.get(ADD_USER).status_code == 403
        assert client.get(change_url(user)).status_code == 403


def test_a_local_account_made_before_the_administrator_role_is_told_how_to_get_it(roles):
    old = User.objects.create_user(username="editor", password="a-long-test-password", is_staff=True)
    old.groups.set(Group.objects.filter(name__in=["editors", "publishers"]))
    out = io.StringIO()
    call_command("ensure_editor", administrator=True, stdout=out)
    assert "grant_role editor administrators" in out.getvalue()
    assert set(old.groups.values_list("name", flat=True)) == {"editors", "publishers"}, "an existing account is left as it is"
    call_command("grant_role", "editor", "administrators", stdout=io.StringIO())
    assert old.groups.filter(name="administrators").exists()
