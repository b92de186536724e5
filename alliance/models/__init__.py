"""The registry's models, one module per part of the domain, re-exported here.

- ``base``: status, slugs, names, search text and the shared choice lists
- ``sources`` and ``citations``: the evidence
- ``agreements``, ``bodies`` (their seats and the links between them), ``people``
  (organizations, posts, people, tenures), ``meetings`` (attendees and documents),
  ``events`` (what happened other than meetings)
- ``registry``: the one list of curated models that every other list derives from
- ``versioning``: the change counter behind ETags and caches
"""

from .agreements import Agreement, AgreementRelation, Force
from .base import (
    LAST_ASCENDING,
    LAST_DESCENDING,
    NFKC,
    PUBLISHED,
    Country,
    Grams,
    Level,
    NameBasis,
    Named,
    Names,
    Publishable,
    Record,
    RecordQuerySet,
    Side,
    SlugKeyManager,
    Status,
    english_active,
    is_public,
    public,
    published_q,
    published_sql,
)
from .bodies import Body, BodyLink, Seat
from .changesets import Changeset, ChangesetMember, ChangesetReview
from .citations import CITED_FIELDS, Citation
from .events import Event
from .meetings import Meeting, MeetingDocument, Participation
from .people import Organization, Person, Post, Tenure
from .registry import CITABLE, SOURCES, Entry
from .revisions import Revision
from .sources import Source, TextOrigin
from .versioning import RegistryVersion

# Every curated model, sources first and citations last.
REGISTRY = (SOURCES, *CITABLE, Entry(Citation, "citations"))

__all__ = [
    "CITABLE",
    "CITED_FIELDS",
    "LAST_ASCENDING",
    "LAST_DESCENDING",
    "NFKC",
    "Grams",
    "PUBLISHED",
    "REGISTRY",
    "Agreement",
    "AgreementRelation",
    "Body",
    "BodyLink",
    "Changeset",
    "ChangesetMember",
    "ChangesetReview",
    "Citation",
    "Country",
    "Entry",
    "Event",
    "Force",
    "Level",
    "Meeting",
    "MeetingDocument",
    "Seat",
    "NameBasis",
    "Named",
    "Names",
    "Organization",
    "Participation",
    "Person",
    "Post",
    "Publishable",
    "Record",
    "RecordQuerySet",
    "RegistryVersion",
    "Revision",
    "Side",
    "SlugKeyManager",
    "Source",
    "Status",
    "Tenure",
    "TextOrigin",
    "english_active",
    "is_public",
    "public",
    "published_q",
    "published_sql",
]
