"""The admin site, with its models listed in the order of an editor's work (a meeting,
its attendees, sources and citations first), not in the code-point order of their names."""

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig

# The order of work: what a press release brings first, reference records after.
WORK_ORDER = (
    "changeset", "meeting", "participation", "source", "citation", "body", "seat", "person", "post", "tenure",
    "organization", "agreement", "agreementrelation", "meetingdocument", "revision",
)


class RegistryAdminSite(AdminSite):
    def index(self, request, extra_context=None):
        """The index leads to the work waiting: a publisher's queue of changesets, an
        editor's changesets sent back with the publisher's note."""
        from ..models import Changeset
        from .changesets import may_review

        extra = {"sent_back": Changeset.objects.sent_back_to(request.user).prefetch_related("reviews")[:20]}
        if may_review(request.user):
            extra["review_queue"] = Changeset.objects.in_review().select_related("author")[:20]
        return super().index(request, {**extra, **(extra_context or {})})

    def get_app_list(self, request, app_label=None):
        app_list = super().get_app_list(request, app_label)
        for app in app_list:
            if app["app_label"] == "alliance":
                app["models"].sort(key=lambda m: _rank(m["object_name"].lower()))
        return app_list


def _rank(model_name: str) -> int:
    return WORK_ORDER.index(model_name) if model_name in WORK_ORDER else len(WORK_ORDER)


class RegistryAdminConfig(AdminConfig):
    default_site = "alliance.editorial.site.RegistryAdminSite"
