"""Text as names are compared, after neologd's rules (as neologdn packages them): NFKC
for width, one hyphen, one long-vowel mark, spaces removed between Japanese characters
and kept (one) between Latin words, Latin case folded. The same function runs on names
and on text, and it returns where each character came from, because NFKC changes lengths
(ｶﾞｲﾄﾞﾗｲﾝ is 8 characters before and 6 after, ㈱ 1 before and 3 after): a match is then
sliced from the original text exactly as it is."""

import re
import unicodedata
from dataclasses import dataclass

# neologdn's two classes: these become one hyphen, those one long-vowel mark.
_HYPHENS = set("˗֊‐‑‒–⁃⁻₋−")
_LONG_VOWELS = set("﹣－ｰ—―─━ー")
_JA = re.compile(r"[\u3005\u3007\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\u3000-\u303f\uff01-\uff60々〆ヶ]")


def is_japanese(char: str) -> bool:
    return bool(char) and bool(_JA.match(char))


@dataclass(frozen=True)
class Normalised:
    """``text`` normalised; ``origin[i]`` is the index in the original text of the character
    that gave ``text[i]`` (one past the end for ``i == len(text)``)."""

    text: str
    origin: list[int]

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of ``text[start:end]``."""
        first = self.origin[start]
        last = self.origin[end - 1] + 1 if end > start else first
        return first, last


def _one(char: str) -> str:
    if char in _HYPHENS:
        return "-"
    if char in _LONG_VOWELS:
        return "ー"
    return unicodedata.normalize("NFKC", char).casefold()


def normalise(text: str) -> Normalised:
    chars: list[str] = []
    origin: list[int] = []
    pending_space: int | None = None  # where a run of spaces began, until we know what follows
    for i, raw in enumerate(text):
        if raw.isspace():
            if pending_space is None:
                pending_space = i
            continue
        if raw in "ﾞﾟ\u3099\u309a" and chars:
            # A half-width voicing mark belongs to the kana before it (ｶﾞ is ガ).
            joined = unicodedata.normalize("NFKC", chars[-1] + raw)
            if len(joined) == 1:
                chars[-1] = joined
                continue
        piece = _one(raw)
        if not piece or piece.isspace():
            if pending_space is None:
                pending_space = i
            continue
        if pending_space is not None:
            # Kept between Latin words (one space), removed next to a Japanese character.
            if chars and not is_japanese(chars[-1]) and not is_japanese(piece[0]):
                chars.append(" ")
                origin.append(pending_space)
            pending_space = None
        for c in piece:
            chars.append(c)
            origin.append(i)
    origin.append(len(text))
    return Normalised("".join(chars), origin)


def norm(text: str) -> str:
    """Only the normalised text (for names)."""
    return normalise(text).text
