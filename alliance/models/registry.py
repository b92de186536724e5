"""The one list of the registry's curated models.

Every other list of models is derived from this one: the foreign keys a citation may
point at, the models with a publish permission, the editorial roles' permissions, the
import kinds, the admin's registration check and the tables whose changes bump the
data version (so cached pages and ETags can never go stale). A test walks it.
"""

from dataclasses import dataclass

from .agreements import Agreement, AgreementRelation
from .bodies import Body, BodyLink, Seat
from .events import Event
from .meetings import Meeting, MeetingDocument, Participation
from .people import Organization, Person, Post, Tenure
from .sources import Source


@dataclass(frozen=True)
class Entry:
    model: type
    kind: str  # the import kind and file stem: plural, kebab-case ("agreement-relations")
    cited_as: str = ""  # the foreign key on Citation that points at it; "" when it is not cited

    @property
    def publishable(self) -> bool:
        """It has a draft / published status, which only a publisher may change."""
        return any(f.name == "status" for f in self.model._meta.concrete_fields)

    @property
    def model_name(self) -> str:
        return self.model._meta.model_name

    def tables(self) -> list[str]:
        """Its own table and the link tables of its many-to-many fields."""
        opts = self.model._meta
        return [opts.db_table, *(f.remote_field.through._meta.db_table for f in opts.local_many_to_many)]


# In the order of Citation's foreign keys (its "exactly one record" constraint is built
# in this order, so reordering it is a migration).
CITABLE = (
    Entry(Agreement, "agreements", "agreement"),
    Entry(AgreementRelation, "agreement-relations", "agreement_relation"),
    Entry(Body, "bodies", "body"),
    Entry(Organization, "organizations", "organization"),
    Entry(Post, "posts", "post"),
    Entry(Person, "people", "person"),
    Entry(Tenure, "tenures", "tenure"),
    Entry(Seat, "seats", "seat"),
    Entry(Meeting, "meetings", "meeting"),
    Entry(Participation, "attendees", "participation"),
    Entry(MeetingDocument, "meeting-documents", "meeting_document"),
    Entry(Event, "events", "event"),
    Entry(BodyLink, "body-links", "body_link"),
)
SOURCES = Entry(Source, "sources")
