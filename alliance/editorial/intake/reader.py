"""The reader: a press release's text read against the registry, as a proposal — the
meeting (body, kind, date and precision, session, place, outcomes) and its attendees
(person, post, side, role), new people and posts only where the text marks them as such
(a title ending as posts do, then a name), each fact with the sentence it came from.

Nothing here writes: the proposal is shown to the editor, who confirms it (save.py)."""

import re
from collections import Counter
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from ...models import Meeting, Organization, Person, Post, Side
from ...partial_dates import PartialDate, Precision
from .matching import Gazetteer, Hit

PRECISION_RANK = [Precision.YEAR, Precision.FISCAL_YEAR, Precision.MONTH, Precision.DAY]

# --- sentences ------------------------------------------------------------------------

_NUMBERING = re.compile(r"(?:[0-9０-９]{1,2}[.．、)）]?|[（(][0-9０-９一二三四五六七八九十]{1,2}[)）]|[・●○■□◆◇]|[一二三四五六七八九十][、．.])[ \t　]*")


@dataclass(frozen=True)
class Sentence:
    start: int
    end: int


def sentences(text: str) -> list[Sentence]:
    """Sentences and lines (a line break or 。 ends one), without leading numbering or spaces."""
    found, start = [], 0
    for m in re.finditer(r"。|\n|$", text):
        end = m.end() if m.group() == "。" else m.start()
        piece = text[start:end]
        lead = len(piece) - len(piece.lstrip())
        s = start + lead
        numbering = _NUMBERING.match(text, s, end)
        if numbering and numbering.end() < end:
            s = numbering.end()
        e = end
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            found.append(Sentence(s, e))
        start = m.end()
        if m.group() == "":
            break
    return found


def sentence_at(spans: list[Sentence], at: int) -> Sentence | None:
    for s in spans:
        if s.start <= at < s.end:
            return s
    return None


# --- dates, sessions, places ----------------------------------------------------------

_DATE = re.compile(
    r"(?:(?:明治|大正|昭和|平成|令和)(?:元|[0-9０-９]{1,2})(?:[（(][0-9０-９]{4}[)）])?|[0-9０-９]{4})年度?"
    r"(?:[0-9０-９]{1,2}月(?:[0-9０-９]{1,2}日)?)?(?:上旬|中旬|下旬|末)?"
    r"|(?<![0-9A-Za-z])(?:[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}|FY[0-9]{4})(?![0-9A-Za-z])"
)
_KANJI_DIGITS = {c: i for i, c in enumerate("〇一二三四五六七八九")}
_SESSION = re.compile(r"第([0-9０-９]+|[一二三四五六七八九十]+)回")
_PLACE = re.compile(r"([^\s、。，,「」（）()]{1,20}?)(?:において|にて|で開催)")
_PLACE_EN = re.compile(r"\bin ([A-Z][a-zA-Z.]+(?:,? [A-Z][a-zA-Z.]+){0,2})")
_OUTCOME = re.compile(r"一致|確認し|合意|決定|表明|歓迎|発表|agreed|confirmed|affirmed")


def kanji_number(text: str) -> int:
    """第五回, 第十二回, 第二十回 and 第5回 alike."""
    import unicodedata

    text = unicodedata.normalize("NFKC", text)
    if text.isdigit():
        return int(text)
    if "十" in text:
        tens, _, ones = text.partition("十")
        return (_KANJI_DIGITS.get(tens, 1) if tens else 1) * 10 + (_KANJI_DIGITS.get(ones, 0) if ones else 0)
    return _KANJI_DIGITS.get(text, 0)


@dataclass(frozen=True)
class FoundDate:
    start: int
    end: int
    value: PartialDate


def dates(text: str) -> list[FoundDate]:
    """Every date the partial-date parser reads, where it is (year-only mentions included)."""
    found = []
    for m in _DATE.finditer(text):
        try:
            found.append(FoundDate(m.start(), m.end(), PartialDate.parse(m.group())))
        except ValidationError:
            continue
    return found


# --- attendees -----------------------------------------------------------------------

# What a post's title ends with: such words mark an unknown title as a post.
POST_ENDINGS = (
    "大臣", "副大臣", "政務官", "長官", "次官", "次官補", "審議官", "参事官", "局長", "部長", "課長", "室長", "次長",
    "幕僚長", "司令官", "大使", "公使", "補佐官", "顧問", "代表", "調整官", "統括官", "書記官", "理事官", "議長", "官房長",
    "Secretary", "Minister", "Director", "Ambassador", "Commander", "Officer", "Deputy", "Chairman", "Chief",
)
_NAME = r"[\u4e00-\u9fff\u3005\u30a0-\u30ff・ー]{2,12}"
_TITLED = re.compile(rf"([^\s、，,：:（）()。「」]{{2,30}})[ 　]+({_NAME})")
_ROLE = re.compile(r"[ 　]*[（(]([^()（）]{1,20})[)）]")
_SIDES = (
    (re.compile(r"日本側|日本政府|我が方|わが方|日本から|Japanese side|Japan:"), Side.JAPAN),
    (re.compile(r"米側|米国側|米国から|アメリカ側|米国政府|U\.S\. side|United States:|US side"), Side.US),
)
ROLES_EN = {"議長": "Chair", "共同議長": "Co-chair", "日本側議長": "Japanese chair", "米側議長": "U.S. chair", "代表": "Representative", "随行": "Accompanying"}
SIDE_OF_COUNTRY = {"jp": Side.JAPAN, "us": Side.US}


@dataclass
class Fact:
    """A proposed value and the span of the text that states it (its quote)."""

    value: object
    start: int
    end: int
    marks: list = field(default_factory=list)  # (start, end) of the words read inside it


@dataclass
class Attendee:
    side: str = ""
    person_id: int | None = None
    person_name_ja: str = ""
    person_name_en: str = ""
    post_id: int | None = None
    post_name_ja: str = ""
    post_organization_id: int | None = None
    role: str = ""
    role_en: str = ""
    quote: tuple[int, int] = (0, 0)
    marks: list = field(default_factory=list)
    already_there: bool = False

    @property
    def key(self):
        return (self.person_id or self.person_name_ja, self.post_id or self.post_name_ja)


@dataclass
class Proposal:
    text: str
    title: str = ""
    publisher_id: int | None = None
    issued: PartialDate | None = None
    body: Fact | None = None
    body_choices: tuple[int, ...] = ()
    kind: str = Meeting.Kind.WORKING_GROUP
    start: Fact | None = None
    session: Fact | None = None
    place: Fact | None = None
    place_en: str = ""
    outcomes: list[Fact] = field(default_factory=list)
    attendees: list[Attendee] = field(default_factory=list)
    existing_meeting: Meeting | None = None
    hits: list[Hit] = field(default_factory=list)
    dates: list[FoundDate] = field(default_factory=list)


def read(text: str, gazetteer: Gazetteer | None = None) -> Proposal:
    """What the registry reads in ``text``."""
    gazetteer = gazetteer or Gazetteer.from_registry()
    proposal = Proposal(text=text)
    spans = sentences(text)
    proposal.hits = hits = gazetteer.find(text)
    proposal.dates = found_dates = dates(text)
    lines = [s for s in spans]
    if lines:
        proposal.title = text[lines[0].start:lines[0].end][:300]

    # The publisher: an organization named on a line of its own near the top or bottom.
    for s in [*spans[:4], *spans[-3:]]:
        own = [h for h in hits if h.kind == "organization" and h.start == s.start and h.end == s.end and not h.ambiguous]
        if own:
            proposal.publisher_id = own[0].ids[0]
            break
    for d in found_dates:
        s = sentence_at(spans, d.start)
        if s and s.start == d.start and s.end == d.end:
            proposal.issued = d.value  # a date on a line of its own: the release's date
            break

    # The meeting: the first body named, in the sentence that says it was held if any.
    body_hits = [h for h in hits if h.kind == "body"]
    # The title names the meeting too, but the sentence saying it was held has the date.
    held = [s for s in spans[1:] if re.search(r"開催され|行われ|会談し|was held|met ", text[s.start:s.end])]
    chosen = None
    for s in held + spans:
        inside = [h for h in body_hits if s.start <= h.start < s.end]
        if inside:
            chosen = (inside[0], s)
            break
    if chosen:
        hit, s = chosen
        proposal.body = Fact(hit.ids[0], s.start, s.end, [(hit.start, hit.end)])
        proposal.body_choices = hit.ids
        meeting_sentence = s
    else:
        meeting_sentence = held[0] if held else (spans[1] if len(spans) > 1 else (spans[0] if spans else None))

    if meeting_sentence is not None:
        ms = meeting_sentence
        in_sentence = [d for d in found_dates if ms.start <= d.start < ms.end]
        day = sorted(in_sentence, key=lambda d: -PRECISION_RANK.index(d.value.precision))
        if day:
            d = day[0]
            proposal.start = Fact(d.value, ms.start, ms.end, [(d.start, d.end)])
        m = _SESSION.search(text, ms.start, ms.end)
        if m:
            proposal.session = Fact(kanji_number(m.group(1)), ms.start, ms.end, [(m.start(), m.end())])
        m = _PLACE.search(text, ms.start, ms.end) or _PLACE_EN.search(text, ms.start, ms.end)
        if m:
            place = m.group(1)
            proposal.place = Fact(place, ms.start, ms.end, [(m.start(1), m.end(1))])
            proposal.place_en = (
                Meeting.objects.filter(place_ja=place).exclude(place_en="").values_list("place_en", flat=True).first() or ""
            )
    if proposal.start is None:
        days = [d for d in found_dates if d.value.precision == "day"]
        if days:
            s = sentence_at(spans, days[0].start)
            proposal.start = Fact(days[0].value, s.start, s.end, [(days[0].start, days[0].end)])

    if proposal.body is not None:
        kinds = Counter(Meeting.objects.filter(body_id=proposal.body.value).values_list("kind", flat=True))
        if kinds:
            proposal.kind = kinds.most_common(1)[0][0]

    proposal.attendees = _attendees(text, spans, hits, gazetteer)
    attendee_lines = {a.quote for a in proposal.attendees}
    for s in spans:
        if s is meeting_sentence or (s.start, s.end) in attendee_lines or s == (spans[0] if spans else None):
            continue
        if _OUTCOME.search(text, s.start, s.end) and "出席" not in text[s.start:s.end]:
            proposal.outcomes.append(Fact(text[s.start:s.end].rstrip("。"), s.start, s.end))

    if proposal.body is not None and proposal.start is not None:
        probe = Meeting(body_id=proposal.body.value, session_number=proposal.session.value if proposal.session else None)
        probe.start = proposal.start.value
        proposal.existing_meeting = Meeting.objects.likely_duplicates_of(probe).first()
        if proposal.existing_meeting is not None:
            there = {(p.person_id, p.post_id) for p in proposal.existing_meeting.participations.all()}
            for a in proposal.attendees:
                a.already_there = (a.person_id, a.post_id) in there and bool(a.person_id or a.post_id)
    return proposal


def _side_at(text: str, start: int, line_start: int) -> str:
    """The side the nearest marker before ``start`` (in its sentence) names."""
    best, side = -1, ""
    for pattern, value in _SIDES:
        for m in pattern.finditer(text, line_start, start):
            if m.start() > best:
                best, side = m.start(), value
    return side


def _attendees(text, spans, hits, gazetteer) -> list[Attendee]:
    """「役職 氏名」 and "title name": a known post or a title ending as posts do, then a
    known person or a name. A known person alone is an attendee too; a name the registry
    does not know is proposed only when a post's title stands before it."""
    posts = {h.start: h for h in hits if h.kind == "post"}
    people = {h.start: h for h in hits if h.kind == "person"}
    organizations = [h for h in hits if h.kind == "organization"]
    found: list[Attendee] = []
    used: set[int] = set()
    covered: list[tuple[int, int]] = []

    def role_after(at):
        m = _ROLE.match(text, at)
        if m:
            return m.group(1), m.end()
        return "", at

    for s in spans:
        line = text[s.start:s.end]
        if not re.search(r"出席|参加|出席者|代表|議長|attended|participat|日本側|米側|米国側", line) and not re.search(r"[：:]", line):
            continue
        # Known posts, and unknown titles that end as posts do, each followed by a name.
        candidates = []
        for at, hit in posts.items():
            if s.start <= at < s.end:
                candidates.append((hit.start, hit.end, hit))
        for m in _TITLED.finditer(text, s.start, s.end):
            title_start = m.start(1)
            title = m.group(1)
            # A title begins after a side marker or a particle (「日本側から」「米側：」).
            cut = max((title.rfind(w) + len(w) for w in ("から", "側", "：", ":", "は") if w in title), default=0)
            title_start += cut
            title = text[title_start:m.end(1)]
            if any(c[0] <= title_start < c[1] or title_start <= c[0] < m.end(1) for c in candidates):
                continue
            if len(title) >= 2 and title.endswith(POST_ENDINGS):
                candidates.append((title_start, m.end(1), None))
        for start, end, hit in sorted(candidates, key=lambda c: c[0]):
            at = end
            while at < s.end and text[at] in " 　の":
                at += 1
            attendee = Attendee(quote=(s.start, s.end), marks=[(start, end)])
            if hit is not None:
                attendee.post_id = hit.ids[0]
            else:
                attendee.post_name_ja = text[start:end]
                org = [o for o in organizations if start <= o.start < end]
                if org:
                    attendee.post_organization_id = org[0].ids[0]
            person = people.get(at)
            name = re.compile(_NAME).match(text, at) if at < s.end else None
            if person is not None and name is not None and name.end() > person.end:
                person = None  # 「佐藤」 known, 「佐藤花子」 written: a name the registry does not know
            if person is not None:
                attendee.person_id = person.ids[0]
                name_end = person.end
                used.add(person.start)
            else:
                m = name
                if not m or at == end:  # a name must be set off from the title
                    if hit is None:
                        continue
                    name_end = end
                else:
                    attendee.person_name_ja = m.group()
                    name_end = m.end()
            if name_end > end:
                attendee.marks.append((at, name_end))
            role, _ = role_after(name_end)
            attendee.role = role
            attendee.role_en = ROLES_EN.get(role, "")
            attendee.side = _side_at(text, start, s.start)
            covered.append((start, name_end))
            found.append(attendee)
        # Known people with no title before them.
        for at, hit in people.items():
            if s.start <= at < s.end and at not in used and not any(a <= at < b for a, b in covered):
                role, _ = role_after(hit.end)
                found.append(Attendee(person_id=hit.ids[0], quote=(s.start, s.end), marks=[(hit.start, hit.end)],
                                      role=role, role_en=ROLES_EN.get(role, ""), side=_side_at(text, hit.start, s.start)))
                used.add(at)
    # A side from the post's or person's country where the text names none.
    countries = dict(Post.objects.filter(pk__in=[a.post_id for a in found if a.post_id]).values_list("pk", "country"))
    countries_p = dict(Person.objects.filter(pk__in=[a.person_id for a in found if a.person_id]).values_list("pk", "country"))
    org_countries = dict(Organization.objects.filter(pk__in=[a.post_organization_id for a in found if a.post_organization_id]).values_list("pk", "country"))
    for a in found:
        if not a.side:
            country = countries.get(a.post_id) or countries_p.get(a.person_id) or org_countries.get(a.post_organization_id)
            a.side = SIDE_OF_COUNTRY.get(country, Side.JAPAN if a.post_name_ja and not a.post_name_ja.isascii() else Side.OTHER)
    unique, seen = [], set()
    for a in found:
        if a.key not in seen:
            seen.add(a.key)
            unique.append(a)
    return unique
