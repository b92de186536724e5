"""The meeting list's rows are written in Python (registry.meeting_rows), not by the
template engine: the same bytes the template wrote (kept here as the reference), in both
languages, for the seed data, generated data and the awkward rows."""

import pytest
from django.core.management import call_command
from django.template import Context, Template
from django.utils import translation

from alliance.models import Meeting, Status
from alliance.public.entities import LISTS
from alliance.templatetags.registry import meeting_rows

from .factories import make_body, make_meeting

pytestmark = pytest.mark.django_db

# The rows block of meeting_list.html before it called meeting_rows.
REFERENCE = Template(
    """{% load i18n registry %}{% for m in rows %}
<tr>
  <td class="nowrap" data-label="{% translate "開催日" %}"><time datetime="{{ m.start.iso }}">{{ m.start|pd }}</time></td>
  <td data-label="{% translate "会議" %}"><a href="{{ m.get_absolute_url }}">{{ m.title|ja }}</a>{% if m.session_number and m.has_own_name %} <span class="muted">{% blocktranslate with n=m.session_number %}第{{ n }}回{% endblocktranslate %}</span>{% endif %}</td>
  <td data-label="{% translate "協議体・形式" %}">{% with b=m.body|visible %}{% if b %}<a href="{{ b.get_absolute_url }}">{{ b.abbreviation|default:b.name|ja }}</a>{% endif %}{% endwith %}</td>
  <td data-label="{% translate "場所" %}">{{ m|loc:"place"|ja }}</td>
</tr>
{% endfor %}"""
)


def rows_of(language, **params):
    """A list page's rows as the page reads them (with their bodies), in ``language``."""
    with translation.override(language):
        rows, _next, _prev = LISTS["meeting"].read({"limit": "500", **params}).page()
        return rows, REFERENCE.render(Context({"rows": rows})), str(meeting_rows(rows))


@pytest.mark.parametrize("language", ["ja", "en"])
def test_the_seed_data_s_rows_are_the_template_s_bytes(language):
    call_command("seed", verbosity=0)
    rows, reference, written = rows_of(language)
    assert len(rows) > 20 and written == reference
    rows, reference, written = rows_of(language, sort="name")
    assert written == reference


@pytest.mark.parametrize("language", ["ja", "en"])
def test_generated_rows_are_the_template_s_bytes(language):
    call_command("synth", meetings=200, seed=5, verbosity=0)
    rows, reference, written = rows_of(language)
    assert len(rows) > 150 and written == reference  # the published ones


@pytest.mark.parametrize("language", ["ja", "en"])
def test_awkward_rows_are_the_template_s_bytes(language):
    """No date, no body, a draft body, a body without an abbreviation, a session with and
    without a name of its own, markup and quotes in every text, an English place."""
    scc = make_body(slug="scc", name_ja="日米安全保障協議委員会", name_en="Security Consultative Committee", abbreviation="SCC")
    plain = make_body(slug="plain", name_ja="<b>協議</b>&\"会\"", name_en="")
    draft = make_body(slug="draft-body", name_ja="下書きの協議体", status=Status.DRAFT)
    make_meeting(name_ja="<script>alert('x')</script>", name_en="", start=None, body=None, place_ja="東京 & 横浜")
    make_meeting(name_ja="第3回会合", name_en="3rd \"meeting\" <i>", session_number=3, start="2009-11", body=scc, place_en="Tokyo")
    make_meeting(name_ja="会合", name_en="", session_number=12, start="FY2022", body=plain, place_ja='"港"')
    make_meeting(name_ja="日米安全保障協議委員会（「2+2」）", name_en="", session_number=2, start="1996", body=draft)
    make_meeting(name_ja="ワシントン会談", name_en="Washington talks", start="2017-04-25", body=scc, place_ja="ワシントン", place_en="Washington, D.C.")
    rows, reference, written = rows_of(language)
    assert len(rows) == Meeting.objects.count() == 5
    assert written == reference
    assert "<script>" not in written and "<b>" not in written and "<i>" not in written
    assert "&lt;script&gt;" in written if language == "ja" else "3rd &quot;meeting&quot; &lt;i&gt;" in written
