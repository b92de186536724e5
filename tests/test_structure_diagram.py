"""The structure chart drawn as a diagram (issue 13): an SVG rendered on the server with
the levels top down, a box per part with both sides, "as needed" seats dashed, the links
with the chart's wording, in the page's language, and "as of" a date (?on=)."""

import re
from html import unescape

import pytest
from django.urls import reverse

from alliance.models import BodyLink
from alliance.public.diagram import text_width, wrap

pytestmark = pytest.mark.django_db


def svg(html: str, variant: str = "wide") -> str:
    """One of the two drawings (wide or narrow) in the page."""
    match = re.search(rf'<svg [^>]*class="diagram-{variant}".*?</svg>', html, re.S)
    assert match, f"no {variant} diagram on the page"
    return match.group(0)


def boxes(drawing: str) -> dict[str, str]:
    """slug -> the box's markup."""
    found = {}
    for match in re.finditer(r'<g class="box" data-slug="([^"]+)" data-row="(\d+)"', drawing):
        ends = [drawing.find(tag, match.end()) for tag in ('<g class="box"', '<g class="link-label"', "</svg>")]
        found[match.group(1)] = drawing[match.start() : min(e for e in ends if e != -1)]
    return found


def rows(drawing: str) -> dict[str, int]:
    return {slug: int(row) for slug, row in re.findall(r'<g class="box" data-slug="([^"]+)" data-row="(\d+)"', drawing)}


def texts(markup: str) -> str:
    """The text a reader sees, tags removed."""
    return re.sub(r"<[^>]+>", "", markup)


def test_the_acm_is_drawn_as_an_svg_with_its_levels_top_down_a_box_per_part_and_the_links(client, seeded):
    response = client.get(reverse("alliance:structure"))
    html = response.content.decode()
    drawing = svg(html)
    assert 'role="group"' in drawing and "<title" in drawing and "<desc" in drawing
    assert "同盟調整メカニズム" in texts(re.search(r"<title[^>]*>.*?</title>", drawing).group(0))
    # a box per part drawn, each linking to its body page
    drawn = {part["body"].slug for part in response.context["parts"]}
    assert drawn >= {"acm-senior-level", "acg", "jc", "bocc", "cccs"}
    assert set(boxes(drawing)) == drawn
    for slug in drawn:
        assert f'<a href="/bodies/{slug}/"' in boxes(drawing)[slug]
    # rows from the ministerial level down: the JC beside the ACG, the BOCC under it, the CCCs under that
    row = rows(drawing)
    assert row["acm-senior-level"] < row["acg"] == row["jc"] < row["bocc"] < row["cccs"]
    # the ACG's levels in order, inside its box
    acg = texts(boxes(drawing)["acg"])
    assert acg.index("局長級") < acg.index("課長級") < acg.index("担当級")
    # both sides, distinct
    assert 'class="side side-jp"' in boxes(drawing)["acg"] and 'class="side side-us"' in boxes(drawing)["acg"]
    assert "外務省" in texts(boxes(drawing)["acg"]) and "在日米大使館" in texts(boxes(drawing)["acg"])
    # the links and the chart's wording on them
    labels = texts("".join(re.findall(r'<g class="link-label">.*?</g>', drawing)))
    assert labels.count("相互調整・情報交換など") == 3 and labels.count("必要に応じて") == 2
    assert drawing.count("<line ") + drawing.count("<polyline ") >= 5
    # the narrow drawing holds the same boxes
    assert set(boxes(svg(html, "narrow"))) == drawn
    # and the lists stay below it as the textual version
    assert html.index('class="diagram-wide"') < html.index('class="structure"')


def test_the_diagram_needs_no_javascript(client, seeded):
    html = client.get(reverse("alliance:structure")).content.decode()
    for drawing in (svg(html), svg(html, "narrow")):
        assert "<script" not in drawing.lower()
        assert not re.search(r"\son[a-z]+=", drawing)
        assert "<text" in drawing and "<foreignObject" not in drawing


def test_as_needed_members_are_drawn_dashed(client, seeded):
    html = client.get(reverse("alliance:structure")).content.decode()
    acg = boxes(svg(html))["acg"]
    dashed = texts("".join(re.findall(r'<g class="as-needed">.*?</g>', acg)))
    assert "国務省" in dashed and "関係省庁" in dashed
    assert "在日米大使館" not in dashed and "外務省" not in dashed
    assert 'stroke-dasharray="4 3"' in acg
    assert "必要に応じて参加" in texts(re.search(r'<g class="legend">.*?</g>', svg(html)).group(0))


def test_as_of_before_and_after_the_defense_cooperation_subcommittee_was_set_up(client, seeded):
    """The SDC was set up on 8 July 1976 under the SCC: absent before, drawn after."""
    before = client.get(reverse("alliance:structure-of", args=["scc"]), {"on": "1976-07-07"})
    assert before.status_code == 200
    html = before.content.decode()
    assert "1976年7月7日時点" in html
    assert "sdc" not in boxes(svg(html)) and "scc" in boxes(svg(html))
    assert "この日に描ける部分はありません" in html
    after = client.get(reverse("alliance:structure-of", args=["scc"]), {"on": "1976-07-08"})
    html = after.content.decode()
    assert "1976年7月8日時点" in html
    assert "sdc" in boxes(svg(html))
    assert rows(svg(html))["scc"] < rows(svg(html))["sdc"]
    # a year or a month names the period: the SDC existed in 1976 and in July 1976, not in June
    assert "sdc" in boxes(svg(client.get("/structure/scc/?on=1976").content.decode()))
    assert "sdc" in boxes(svg(client.get("/structure/scc/?on=1976-07").content.decode()))
    assert "sdc" not in boxes(svg(client.get("/structure/scc/?on=1976-06").content.decode()))


def test_as_of_shows_the_seats_held_then(client, seeded):
    """The US ambassador sat on the SCC until 26 December 1990, the Secretary of State from the next day."""
    old = texts(boxes(svg(client.get("/structure/scc/?on=1980-01-01").content.decode()))["scc"])
    new = texts(boxes(svg(client.get("/structure/scc/?on=2016-01-01").content.decode()))["scc"])
    assert "駐日米国大使" in old and "国務長官" not in old
    assert "国務長官" in new and "駐日米国大使" not in new


def test_as_of_before_the_acm_was_set_up_says_so(client, seeded):
    html = client.get(reverse("alliance:structure"), {"on": "2015-01-01"}).content.decode()
    assert "diagram-wide" not in html
    assert "まだ設置されていない" in html and "2015年11月" in html
    html = client.get(reverse("alliance:structure"), {"on": "2016-01-01"}).content.decode()
    assert "2016年1月1日時点" in html
    assert {"acg", "jc", "bocc"} <= set(boxes(svg(html)))
    assert '<input type="date" id="structure-on" name="on" value="2016-01-01"' in html
    assert "資料にないものは、その日に存在したもの" in html  # unknown dates count as existing, and the page says so


def test_the_english_page_labels_the_links_in_english_and_marks_japanese_fallbacks(client, seeded):
    # The seed data gives every link its English wording; one is cleared to see the fallback.
    BodyLink.objects.filter(from_body__slug="jc", to_body__slug="acg").update(
        label_en="mutual coordination, information sharing, etc."
    )
    BodyLink.objects.filter(from_body__slug="acm-senior-level", to_body__slug="jc").update(label_en="")
    html = client.get("/en/structure/?on=2016-01-01").content.decode()
    assert "as of 1 January 2016" in html
    drawing = svg(html)
    assert "Alliance Coordination Group" in texts(boxes(drawing)["acg"])
    labels = re.findall(r'<g class="link-label">.*?</g>', drawing)
    english = [label for label in labels if "mutual coordination" in label]
    assert len(english) == 1 and 'lang="ja"' not in english[0]
    fallback = [label for label in labels if "必要に応じて" in label]
    assert len(fallback) == 1 and 'lang="ja"' in fallback[0]
    assert any("As needed" in label for label in labels)
    assert any("Mutual coordination" in label and "etc." in label for label in labels)  # wrapped over lines
    assert "Japanese side" in drawing and "U.S. side" in drawing


@pytest.mark.parametrize(
    "value", ["99999-1-1", "2016-02-30", "tomorrow", "x" * 5000, "<script>alert(1)</script>", "2016-13"]
)
def test_an_unreadable_date_is_reported_on_the_page(client, seeded, value):
    response = client.get(reverse("alliance:structure"), {"on": value})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="form-error" role="alert"' in html
    assert "<script>alert" not in html
    assert "diagram-wide" in html  # today's chart instead


def test_an_on_array_is_ignored(client, seeded):
    # ``on[]`` is not a parameter the page reads: it is redirected away (views.canonical_query).
    response = client.get("/structure/?on[]=x")
    assert response.status_code == 302 and response["Location"] == "/structure/"
    response = client.get(response["Location"])
    assert response.status_code == 200 and "form-error" not in response.content.decode()


def test_names_are_wrapped_to_fit_their_box():
    name = "日米の指揮・統制の枠組みの向上にかかる作業部会"
    lines = wrap(name, 14, 150)
    assert len(lines) > 1 and "".join(lines) == name
    assert all(text_width(line, 14) <= 150 for line in lines)
    english = wrap("Director-General of the North American Affairs Bureau, Ministry of Foreign Affairs", 12, 100)
    assert all(text_width(line, 12) <= 100 for line in english)
    assert not any(
        line.startswith(("、", "）", "・")) for line in wrap("関係省庁（必要に応じて）、外務省・防衛省", 12, 40)
    )
    assert text_width("国務省", 10) == 30 and text_width("abc", 10) < 20


def test_no_text_in_the_drawing_is_wider_than_its_box(client, seeded):
    """Every line of every box, measured as the layout measures it, fits inside the box."""
    for url in ("/structure/", "/en/structure/", "/structure/scc/?on=1980"):
        html = client.get(url).content.decode()
        for variant in ("wide", "narrow"):
            for slug, box in boxes(svg(html, variant)).items():
                width = float(re.search(r'<rect width="([\d.]+)"', box).group(1))
                for attrs, spans in re.findall(r"<text ([^>]*)>(.*?)</text>", box):
                    size = float(re.search(r'font-size="([\d.]+)"', attrs).group(1))
                    middle = 'text-anchor="middle"' in attrs
                    for x, line in re.findall(r'<tspan x="([\d.]+)"[^>]*>([^<]*)</tspan>', spans):
                        w = text_width(unescape(line), size)
                        left, right = (float(x) - w / 2, float(x) + w / 2) if middle else (float(x), float(x) + w)
                        assert 0 <= left and right <= width, (url, variant, slug, line)
