"""A source's text as HTML with what was read in it highlighted: the sentences proposed
as quotes, and inside them the names, dates and numbers the reader found. The text
content of the result is the text itself, character for character, so a selection in
the page is a selection in the text."""

from django.utils.html import escape
from django.utils.safestring import mark_safe


def _spans_of(proposal):
    quotes, marks = [], []
    if proposal is None:
        return quotes, marks
    for fact in (proposal.body, proposal.start, proposal.session, proposal.place):
        if fact is not None:
            quotes.append((fact.start, fact.end))
            marks += [(s, e, "read") for s, e in fact.marks]
    for fact in proposal.outcomes:
        quotes.append((fact.start, fact.end))
    for a in proposal.attendees:
        quotes.append(a.quote)
        marks += [(s, e, "person" if i else "post") for i, (s, e) in enumerate(a.marks)]
    marks += [(h.start, h.end, h.kind) for h in proposal.hits]
    marks += [(d.start, d.end, "date") for d in proposal.dates]
    return quotes, marks


def highlighted(text: str, proposal=None, citations=()):
    quotes, marks = _spans_of(proposal)
    for citation in citations:
        if citation.quote_start is not None and text[citation.quote_start:citation.quote_end] == citation.quote:
            quotes.append((citation.quote_start, citation.quote_end))
        else:
            match = citation.source.locate(citation.quote) if citation.source_id else None
            if match is not None and match.found:
                quotes.append((match.start, match.end))
    points = {0, len(text)}
    for s, e, *_ in [*quotes, *marks]:
        points.update((max(0, s), min(len(text), e)))
    points = sorted(points)
    out = []
    for a, b in zip(points, points[1:], strict=False):
        if a >= b:
            continue
        quoted = any(s <= a and b <= e for s, e in quotes)
        kind = next((k for s, e, k in marks if s <= a and b <= e), None)
        piece = escape(text[a:b])
        if kind:
            piece = f'<mark class="read-{kind}">{piece}</mark>'
        if quoted:
            piece = f'<span class="quoted">{piece}</span>'
        out.append(piece)
    return mark_safe("".join(out))
