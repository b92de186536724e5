"""Issue 12, finding 6: one citation of a meeting may cover its attendees and documents,
so citing a meeting from one press release is one step."""

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from alliance.editorial.seedcheck import uncited
from alliance.models import Citation, MeetingDocument, Participation

from .factories import make_agreement, make_body, make_citation, make_meeting, make_participation, make_source
from .test_admin import errors_of, form_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def meeting_with_parts():
    meeting = make_meeting(slug="acg-2026-03")
    make_participation(meeting=meeting, name_text="外務省北米局長")
    make_participation(meeting=meeting, name_text="国務次官補")
    MeetingDocument.objects.create(meeting=meeting, agreement=make_agreement(), kind="issued", status="published")
    return meeting


def test_a_meeting_citation_covering_its_parts_stands_for_attendees_and_documents(client, editor_only, meeting_with_parts):
    citation = make_citation(meeting=meeting_with_parts)
    assert uncited(Participation).count() == 2 and uncited(MeetingDocument).count() == 1
    client.force_login(editor_only)
    assert "国務次官補" in client.get(reverse("admin-quality")).content.decode()
    citation.covers_parts = True
    citation.save()
    assert not uncited(Participation).exists() and not uncited(MeetingDocument).exists()
    assert "国務次官補" not in client.get(reverse("admin-quality")).content.decode()
    other = make_participation(meeting=make_meeting(slug="other"), name_text="別の会議の出席者")
    assert list(uncited(Participation)) == [other], "only the meeting's own attendees are covered"


def test_only_a_meeting_citation_may_cover_parts():
    citation = Citation(source=make_source(), body=make_body(), locator="1", quote="x", covers_parts=True)
    with pytest.raises(ValidationError) as error:
        citation.full_clean()
    assert "covers_parts" in error.value.message_dict


def test_the_meeting_form_cites_attendees_in_one_row(client, publisher, meeting_with_parts):
    meeting = meeting_with_parts
    source = make_source(slug="press")
    client.force_login(publisher)
    url = reverse("admin:alliance_meeting_change", args=[meeting.pk])
    page = client.get(url)
    assert "出席者・文書も裏付ける" in page.content.decode()
    prefix = next(i.formset.prefix for i in page.context["inline_admin_formsets"] if i.formset.model is Citation)
    data = form_data(page, name_ja=meeting.name_ja, slug=meeting.slug, kind=meeting.kind, status="published",
                     **{f"{prefix}-0-source": str(source.pk), f"{prefix}-0-locator": "本文",
                        f"{prefix}-0-quote": "日米安全保障協議委員会", f"{prefix}-0-covers_parts": "on",
                        # Published: a draft citation cites no published record (issue 21, 1).
                        f"{prefix}-0-status": "published"})
    response = client.post(url, data)
    assert response.status_code == 302, errors_of(response)
    assert Citation.objects.get().covers_parts
    assert not uncited(Participation).exists()
