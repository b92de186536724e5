"""Source first: an editor pastes a press release, the registry reads it against its own
records and proposes the meeting and its attendees, the editor confirms by pointing, and
one save writes everything with its citations, as one changeset for a publisher.

- ``normalise``: the text as names are compared (with a map back to the original)
- ``matching``: the gazetteer of the registry's names, and the matches in a text
- ``reader``: dates, session numbers, places, attendee lines: the proposal
- ``anchoring``: quotes as exact text with context and position, and finding them again
- ``save``: the one save
The review actions on a changeset are in ``editorial/changesets.py``."""
