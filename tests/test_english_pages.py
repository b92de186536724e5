"""Every public English page reads as English: Japanese text appears only inside elements
marked lang="ja" (names without an English one, quotes, summaries not yet translated)."""

import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import translation

pytestmark = pytest.mark.django_db

# Kana, kanji, CJK punctuation (、。「」) and full-width forms (（）).
JAPANESE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}


class JapaneseOutsideLangJa(HTMLParser):
    """Collects text with Japanese in it that no enclosing element marks lang="ja"."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack = []  # (tag, lang of the element or inherited)
        self.found = []

    @property
    def lang(self):
        return self.stack[-1][1] if self.stack else ""

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        lang = attrs.get("lang", self.lang) or ""
        for name in ("title", "aria-label", "placeholder", "alt"):
            value = attrs.get(name) or ""
            if JAPANESE.search(value) and not lang.startswith("ja"):
                self.found.append(f"<{tag} {name}={value!r}>")
        if tag not in VOID:
            self.stack.append((tag, lang))

    def handle_startendtag(self, tag, attrs):
        self.handle_starttag(tag, attrs)
        if tag not in VOID:
            self.stack.pop()

    def handle_endtag(self, tag):
        for i in range(len(self.stack) - 1, -1, -1):
            if self.stack[i][0] == tag:
                del self.stack[i:]
                break

    def handle_data(self, data):
        if self.stack and self.stack[-1][0] in ("script", "style"):
            return
        if JAPANESE.search(data) and not self.lang.startswith("ja"):
            self.found.append(data.strip()[:120])


def japanese_outside_lang_ja(html: str) -> list[str]:
    parser = JapaneseOutsideLangJa()
    parser.feed(html)
    return parser.found


def english_pages():
    with translation.override("en"):
        urls = [reverse("alliance:home"), reverse("alliance:structure"), reverse("alliance:chronology")]
        urls += [reverse("alliance:search") + "?q=ACM", reverse("alliance:search") + "?q=日米"]
        urls += [reverse("alliance:data")]
        for name in ("agreement", "body", "seat", "person", "meeting", "event"):
            urls.append(reverse(f"alliance:{name}-list"))
        # A list's filter sentence and facets, with several filters at once.
        urls.append(reverse("alliance:agreement-list") + "?kind=treaty&state=in_force&party=japan&q=treaty")
        urls.append(reverse("alliance:meeting-list") + "?body=scc&kind=2plus2&sort=name")
        details = {
            "agreement": ["sofa", "security-treaty-1960", "arms-technology-transfer-notes-2024"],
            "body": ["scc", "acm", "jc"],
            "seat": ["scc-jp-minister-foreign-affairs"],
            "person": ["austin", "kishida"],
            "meeting": ["scc-2024-07", "visit-2024-12-austin", "aipfd-2020-09"],
            "organization": ["mofa", "joint-staff"],
            "post": ["us-secretary-of-defense"],
            "event": ["korean-war-outbreak-1950"],
            "source": ["dow-2020", "bluebook-2025"],
        }
        urls += [reverse(f"alliance:{name}-detail", args=[slug]) for name, slugs in details.items() for slug in slugs]
        urls.append(reverse("alliance:structure-of", args=["scc"]))
        # The chronology's filters, one year, and values it does not know.
        chronology = reverse("alliance:chronology")
        urls += [chronology + "?type=meeting&body=scc", chronology + "?year=2024", chronology + "?type=x&body=存在しない&year=abc"]
    return urls


def test_the_check_sees_japanese_only_outside_lang_ja():
    assert japanese_outside_lang_ja('<p lang="ja">日米<b>同盟</b></p><p>Alliance</p>') == []
    assert japanese_outside_lang_ja("<p>Joint Committee、SCC</p>") == ["Joint Committee、SCC"]
    assert japanese_outside_lang_ja('<div lang="ja"><br><p>日米</p></div><span title="日米">x</span>') == ["<span title='日米'>"]


def test_every_english_page_has_japanese_only_where_marked(client, seeded):
    failures = {}
    for url in english_pages():
        response = client.get(url)
        assert response.status_code == 200, url
        assert response.content.decode().count('<html lang="en"') == 1, url
        found = japanese_outside_lang_ja(response.content.decode())
        # The reader's own query, in the search page's <title> (which holds no markup).
        found = [text for text in found if not text.startswith("Search results for “日米”")]
        if found:
            failures[url] = found[:8]
    assert not failures, "\n".join(f"{url}: {found}" for url, found in failures.items())


def test_the_home_pages_source_table_reads_in_english(client, seeded):
    """The sources' parts, publishers and terms of use in English, each Japanese heading
    kept beside its rendering (it is what finds the passage in the Japanese document)."""
    with translation.override("en"):
        html = client.get(reverse("alliance:home")).content.decode()
    table = html[html.index('class="sources"'):]
    table = table[: table.index("</table>")]
    for english in ("Defense of Japan 2020", "Part III, Chapter 2", "Ministry of Defense", "Ministry of Foreign Affairs", "Government of Japan Standard Terms of Use"):
        assert english in table
    assert japanese_outside_lang_ja(table) == []
    assert '<span class="muted" lang="ja">第III部第2章「日米同盟」第1節「日米安全保障体制の概要」</span>' in table
