"""Quotes picked from a text, kept as the W3C Web Annotation model keeps them (the
TextQuoteSelector's exact, prefix and suffix; the TextPositionSelector's start and end;
a digest of the text as its "State"), and found again as Hypothesis's anchor() does:
the position when its slice still reads ``exact``; else the exact text, choosing among
repeats by context and nearness; else a fuzzy match. A quote that cannot be placed is an
orphan, shown to the editor, never moved silently.

Positions are 0-based code points (Python ``str`` indices), ``end`` excluded. The browser
counts UTF-16 units, so it sends exact, prefix and suffix, and the server finds offsets."""

import difflib
import hashlib
from dataclasses import dataclass

CONTEXT = 32


def digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Anchor:
    exact: str
    prefix: str
    suffix: str
    start: int
    end: int

    def as_dict(self) -> dict:
        return {"exact": self.exact, "prefix": self.prefix, "suffix": self.suffix, "start": self.start, "end": self.end}


def describe(text: str, start: int, end: int) -> Anchor:
    """The anchor of ``text[start:end]``, with about 32 characters of context either side,
    cut at a paragraph break."""
    if not 0 <= start < end <= len(text):
        raise ValueError(f"no span {start}:{end} in a text of {len(text)}")
    prefix = text[max(0, start - CONTEXT):start]
    suffix = text[end:end + CONTEXT]
    if "\n\n" in prefix:
        prefix = prefix[prefix.rindex("\n\n") + 2:]
    if "\n\n" in suffix:
        suffix = suffix[:suffix.index("\n\n")]
    return Anchor(text[start:end], prefix, suffix, start, end)


def _context_score(text, at, length, prefix, suffix) -> int:
    """How many characters of context agree, counted outward from the quote."""
    score = 0
    before = text[max(0, at - len(prefix)):at]
    for a, b in zip(reversed(before), reversed(prefix), strict=False):
        if a != b:
            break
        score += 1
    after = text[at + length:at + length + len(suffix)]
    for a, b in zip(after, suffix, strict=False):
        if a != b:
            break
        score += 1
    return score


def anchor(text: str, exact: str, prefix: str = "", suffix: str = "", start: int | None = None) -> Anchor | None:
    """Where the quote is in ``text`` now, or None (an orphan)."""
    if not exact:
        return None
    # 1. The position, when its slice still reads exact.
    if start is not None and 0 <= start and text[start:start + len(exact)] == exact:
        return describe(text, start, start + len(exact))
    # 2. The exact text; among repeats, the best context, then the nearest to the position.
    places, at = [], text.find(exact)
    while at >= 0:
        places.append(at)
        at = text.find(exact, at + 1)
    if places:
        hint = start if start is not None else 0
        best = max(places, key=lambda p: (_context_score(text, p, len(exact), prefix, suffix), -abs(p - hint)))
        return describe(text, best, best + len(exact))
    # 3. Fuzzy, last: the closest stretch of the same length, weighed as match-quote.ts
    # weighs them (quote 50, prefix 20, suffix 20, position 2), over a threshold.
    return _fuzzy(text, exact, prefix, suffix, start)


def _fuzzy(text, exact, prefix, suffix, start) -> Anchor | None:
    n = len(exact)
    if n < 4 or n > len(text):
        return None
    best, best_score = None, 0.0
    step = max(1, n // 8)
    for at in range(0, len(text) - n + 1, step):
        quote = difflib.SequenceMatcher(None, exact, text[at:at + n], autojunk=False).ratio()
        if quote < 0.8:
            continue
        pre = difflib.SequenceMatcher(None, prefix, text[max(0, at - len(prefix)):at]).ratio() if prefix else 1
        post = difflib.SequenceMatcher(None, suffix, text[at + n:at + n + len(suffix)]).ratio() if suffix else 1
        near = 1 - min(1, abs(at - start) / max(1, len(text))) if start is not None else 1
        score = (50 * quote + 20 * pre + 20 * post + 2 * near) / 92
        if score > best_score:
            best, best_score = at, score
    if best is None or best_score < 0.75:
        return None
    return describe(text, best, best + n)
