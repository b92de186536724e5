"""Readings (yomi) of Japanese names, in hiragana, for the lists' 五十音 sort.

SudachiPy with the SudachiDict "core" dictionary reads each name (longest units, so proper
names stay whole); the reading is turned into hiragana, numbers and "2+2" are read as they
are said, punctuation is dropped, and the corrections below are applied. The library is a
development dependency (requirements-dev.txt): readings are suggested when seeding or by
``manage.py fill_yomi``, and kept in the editable ``yomi`` field, so the site itself never
needs the 77 MB dictionary.
"""

import unicodedata

# Words the dictionary reads wrongly wherever they occur: replaced by their reading first.
PHRASES = {
    "在日米大使館": "ざいにちべいたいしかん",  # the dictionary splits 在日|米 and reads 米 as まい
    "SACO": "さこ",  # said as a word, not spelt out
    "TOFU": "とーふ",  # Think of Okinawa's Future in the United States: said as the word tofu
}
# Sound changes before a counter that the reader does not make (16回 = じゅうろっかい).
COUNTERS = {"1回": "いっかい", "6回": "ろっかい", "8回": "はっかい", "10回": "じゅっかい"}

DIGITS = ["", "いち", "に", "さん", "よん", "ご", "ろく", "なな", "はち", "きゅう"]
LATIN = {
    "A": "えー", "B": "びー", "C": "しー", "D": "でぃー", "E": "いー", "F": "えふ", "G": "じー",
    "H": "えいち", "I": "あい", "J": "じぇー", "K": "けー", "L": "える", "M": "えむ", "N": "えぬ",
    "O": "おー", "P": "ぴー", "Q": "きゅー", "R": "あーる", "S": "えす", "T": "てぃー", "U": "ゆー",
    "V": "ぶい", "W": "だぶりゅー", "X": "えっくす", "Y": "わい", "Z": "ぜっと",
}  # fmt: skip


def number_kana(n: int) -> str:
    """The plain reading of 0 <= n < 10000: 16 じゅうろく, 83 はちじゅうさん, 300 さんびゃく."""
    if n == 0:
        return "ぜろ"
    out = []
    for value, unit, special in (
        (1000, "せん", {3: "さんぜん", 8: "はっせん"}),
        (100, "ひゃく", {3: "さんびゃく", 6: "ろっぴゃく", 8: "はっぴゃく"}),
        (10, "じゅう", {}),
    ):
        d, n = divmod(n, value)
        if d:
            out.append(special.get(d) or ("" if d == 1 else DIGITS[d]) + unit)
    if n:
        out.append(DIGITS[n])
    return "".join(out)


def to_hiragana(text: str) -> str:
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def to_katakana(text: str) -> str:
    return "".join(chr(ord(c) + 0x60) if "ぁ" <= c <= "ゖ" else c for c in text)


def prepare(name: str) -> str:
    """The name as the analyser should see it: NFKC, corrections and counters replaced by
    their readings in katakana (which the dictionary passes through as themselves)."""
    text = unicodedata.normalize("NFKC", name).replace("2+2", "ツープラスツー")
    for phrase, reading in PHRASES.items():
        text = text.replace(phrase, to_katakana(reading))
    for digits in sorted(COUNTERS, key=len, reverse=True):
        tens = digits[:-1]
        # 16回: the 1 of the tens stays a number (じゅう), the counter takes the sound change.
        text = text.replace(f"第{digits}", "第" + to_katakana(COUNTERS[digits]))
        if len(tens) == 1:
            for d in range(1, 10):
                text = text.replace(f"{d}{digits}", to_katakana(number_kana(d * 10)) + to_katakana(COUNTERS[digits]))
    return text


class Reader:
    """Reads names with SudachiPy; raises ImportError when it is not installed."""

    def __init__(self):
        from sudachipy import Dictionary, SplitMode

        self.tokenizer = Dictionary(dict="core").tokenizer(mode=SplitMode.C)

    def __call__(self, name: str) -> str:
        out = []
        for m in self.tokenizer.tokenize(prepare(name)):
            surface, pos = m.surface(), m.part_of_speech()
            if pos[0] in ("補助記号", "空白"):
                continue
            if surface.isdigit():
                out.append(number_kana(int(surface)))
                continue
            reading = m.reading_form()
            if not reading or reading == "キゴウ":
                reading = surface
            if all(c.isascii() and c.isalpha() for c in reading):
                reading = "".join(LATIN.get(c.upper(), "") for c in reading)  # not in the dictionary: spelt
            out.append(to_hiragana(reading))
        return "".join(out)
