"""The structure chart drawn as the white papers draw it: an inline SVG rendered on the
server (no JavaScript), with rows from the top level down, a box per body with each
side's members, "as needed" members outlined in dashes, and the links between boxes
with the chart's wording on them.

Two drawings of the same chart are made: a wide one (rows side by side) and a narrow
one (a single column, for phones); a CSS media query shows one of them. Text is real
SVG <text>, so it can be selected, searched and read out; the page keeps the HTML
lists below the drawing as its textual version.

Japanese text is measured by estimate: a full-width character is 1em wide, ASCII
about 0.55em (capitals 0.65em); names are wrapped to their box so no text overflows it.
"""

import datetime
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.utils.html import escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from ..models.base import Level, english_active, needs_lang_ja
from ..partial_dates import PartialDate

FONT = "'Noto Sans CJK JP', 'Noto Sans JP', 'Hiragino Sans', 'Yu Gothic UI', Meiryo, sans-serif"
JP_COLOUR, US_COLOUR, INK, MUTED, LINE, ACCENT = "#b3261e", "#1d4f91", "#1b1f24", "#5b6570", "#8a96a3", "#12355b"
LEVEL_ORDER = [value for value, _label in Level.choices]
ON_MAX_LENGTH = 40

# --- "as of" ------------------------------------------------------------------------


@dataclass
class AsOf:
    """The ``on`` parameter read: the period it names (a day, a month or a year), or the
    error to show; ``given`` is False when the page shows today."""

    first: datetime.date
    last: datetime.date
    label: str = ""
    value: str = ""
    given: bool = False
    error: str = ""


def read_on(request) -> AsOf:
    """``?on=2016-01-01`` (also ``2016-01``, ``2016`` and the forms dates are entered in
    elsewhere, 2016年1月): the period the chart is drawn for. Without it, or when it cannot
    be read, today; an unreadable value is reported, never an error page."""
    today = datetime.date.today()
    raw = request.GET.get("on", "")
    if not isinstance(raw, str) or not raw.strip():
        return AsOf(today, today)
    raw = raw.strip()
    if len(raw) > ON_MAX_LENGTH:
        return AsOf(
            today, today, value=raw[:ON_MAX_LENGTH], error=_("日付が長すぎます。2016-01-01 のように入力してください。")
        )
    try:
        when = PartialDate.parse(raw)
    except ValidationError as exc:
        error = " ".join(exc.messages)
        if raw not in error:
            error = _("「%(value)s」は日付として読めません。") % {"value": raw} + " " + error
        return AsOf(today, today, value=raw, error=error)
    return AsOf(when.start, when.end, label=when.display(), value=raw, given=True)


# --- measuring and wrapping text ------------------------------------------------------------


def char_width(ch: str) -> float:
    if unicodedata.east_asian_width(ch) in ("W", "F"):
        return 1.0
    if ch.isupper() or ch.isdigit():
        return 0.65
    if ch in "il.,:;'|!() ":
        return 0.32
    return 0.55 if ord(ch) < 0x2000 else 1.0


def text_width(text: str, size: float) -> float:
    return sum(char_width(ch) for ch in text) * size


NO_LINE_START = set("、。，．・）」』】〕”’)]}.,:;!?ー々")
NO_LINE_END = set("（「『【〔“‘([{")


def _tokens(text: str) -> list[str]:
    """Units a line may break between: a Latin word with its trailing space, or one
    full-width character; closing marks stay with what precedes them, opening marks with
    what follows."""
    tokens: list[str] = []
    word = ""
    for ch in text:
        if unicodedata.east_asian_width(ch) in ("W", "F"):
            if word:
                tokens.append(word)
                word = ""
            tokens.append(ch)
        elif ch in " -/":
            word += ch
            tokens.append(word)
            word = ""
        else:
            word += ch
    if word:
        tokens.append(word)
    merged: list[str] = []
    carry = ""
    for token in tokens:
        if merged and token[0] in NO_LINE_START and not carry:
            merged[-1] += token
        elif token[-1] in NO_LINE_END and len(token) == 1:
            carry += token
        else:
            merged.append(carry + token)
            carry = ""
    if carry:
        merged.append(carry)
    return merged


def wrap(text: str, size: float, width: float) -> list[str]:
    """``text`` in lines no wider than ``width`` at font size ``size``."""
    lines: list[str] = []
    line = ""
    for token in _tokens(text):
        if text_width((line + token).rstrip(), size) <= width:
            line += token
            continue
        if line.strip():
            lines.append(line.rstrip())
            line = ""
        while text_width(token.rstrip(), size) > width:  # a word longer than the line
            cut = len(token)
            while cut > 1 and text_width(token[:cut], size) > width:
                cut -= 1
            lines.append(token[:cut])
            token = token[cut:]
        line = token
    if line.strip():
        lines.append(line.rstrip())
    return lines or [""]


def _lang(text: str) -> str:
    return ' lang="ja"' if needs_lang_ja(text) else ""


def _text(x, y, lines, size, *, fill=INK, weight="", anchor="", line_height=None, cls="") -> str:
    """One <text> of one or more lines (<tspan>s)."""
    line_height = line_height or round(size * 1.3, 1)
    joined = "".join(lines)
    attrs = f' font-size="{size}" fill="{fill}"'
    if weight:
        attrs += f' font-weight="{weight}"'
    if anchor:
        attrs += f' text-anchor="{anchor}"'
    if cls:
        attrs += f' class="{cls}"'
    spans = "".join(
        f'<tspan x="{x:.1f}" y="{y + size + i * line_height:.1f}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f"<text{attrs}{_lang(joined)}>{spans}</text>"


def _height(lines, size, line_height=None) -> float:
    return len(lines) * (line_height or round(size * 1.3, 1))


# --- boxes ------------------------------------------------------------------------------------


@dataclass
class Box:
    part: dict
    index: int
    beside: bool = False
    rank: int | None = None
    layer: int = 0
    x: float = 0
    y: float = 0
    w: float = 0
    h: float = 0
    svg: list = field(default_factory=list)

    @property
    def body(self):
        return self.part["body"]

    @property
    def cx(self):
        return self.x + self.w / 2


def _rank(part) -> int | None:
    """How high a box stands: its body's level, or the highest level of its seats."""
    body = part["body"]
    if body.level and body.level != Level.MIXED:
        return LEVEL_ORDER.index(body.level)
    levels = [g["seat"].level for side in ("jp", "us", "other") for g in part[side]]
    known = [LEVEL_ORDER.index(lv) for lv in levels if lv and lv != Level.MIXED]
    return min(known) if known else None


def _body_title(body) -> str:
    name = str(body.name)
    if body.abbreviation and body.abbreviation not in name:
        name += f" ({body.abbreviation})" if english_active() else f"（{body.abbreviation}）"
    return name


def _member_label(group) -> str:
    member = group["seat"].member
    return str(member.name) if member is not None else "—"


def draw_box(box: Box, width: float, root_name: str, *, narrow: bool) -> None:
    """The box's content at ``width``, in box coordinates; sets its height."""
    pad = 8
    part = box.part
    inner = width - 2 * pad
    out: list[str] = []
    y = pad
    title_lines = wrap(_body_title(box.body), 14, inner)
    title = _text(pad, y - 2, title_lines, 14, weight="bold", fill=ACCENT, cls="box-title")
    y += _height(title_lines, 14) + 2
    tag = ""
    if box.beside:
        tag_lines = wrap(_("%(name)sの構成外") % {"name": root_name}, 11, inner)
        tag = _text(pad, y - 2, tag_lines, 11, fill=MUTED)
        y += _height(tag_lines, 11)
    y += 4
    content: list[str] = []
    if part["has_seats"]:
        levels = part["levels"]
        # On a phone the levels are a row of labels above the sides; on a wide screen, a column beside them.
        chips = narrow and bool(levels)
        if chips:
            cx, cy, row_h = pad, y, 0
            level_svg = []
            for level in levels:
                lines = wrap(str(level), 11, inner - 10)
                cw = max(text_width(line, 11) for line in lines) + 10
                ch = _height(lines, 11) + 6
                if cx > pad and cx + cw > pad + inner:
                    cx, cy, row_h = pad, cy + row_h + 4, 0
                level_svg.append(
                    f'<rect x="{cx:.1f}" y="{cy:.1f}" width="{cw:.1f}" height="{ch:.1f}" rx="4" fill="#f6f8fa" stroke="{LINE}"/>'
                    + _text(cx + 5, cy + 1, lines, 11)
                )
                cx += cw + 4
                row_h = max(row_h, ch)
            content.append('<g class="levels">' + "".join(level_svg) + "</g>")
            y = cy + row_h + 6
        level_w = 64 if levels and not chips else 0
        gap = 6
        side_w = (inner - level_w - (gap if level_w else 0) - gap) / 2
        x0 = pad + (level_w + gap if level_w else 0)
        heights = []
        for i, (side, label, colour, tint) in enumerate(
            (("jp", _("日本側"), JP_COLOUR, "#fbeeed"), ("us", _("米側"), US_COLOUR, "#ecf1f9"))
        ):
            sx = x0 + i * (side_w + gap)
            groups = part[side] + (part["other"] if side == "us" else [])
            items: list[str] = []
            iy = y + 4 + 18
            for group in groups:
                text = _member_label(group)
                if group["only"]:
                    text += (
                        "（" + "・".join(str(o) for o in group["only"]) + "）"
                        if not english_active()
                        else " (" + ", ".join(str(o) for o in group["only"]) + ")"
                    )
                lines = wrap(text, 12, side_w - 12)
                lh = _height(lines, 12)
                href = escape(group["seat"].get_absolute_url())
                item = f'<a href="{href}">{_text(sx + 6, iy + 1, lines, 12)}</a>'
                if group["seat"].as_needed:
                    item = (
                        f'<g class="as-needed"><title>{escape(_("必要に応じて参加"))}</title>'
                        f'<rect x="{sx + 3:.1f}" y="{iy - 1:.1f}" width="{side_w - 6:.1f}" height="{lh + 6:.1f}" rx="3" fill="none" '
                        f'stroke="{colour}" stroke-dasharray="4 3"/>{item}</g>'
                    )
                items.append(item)
                iy += lh + 8
            if not groups:
                items.append(_text(sx + 6, iy, ["—"], 12, fill=MUTED))
                iy += 18
            heights.append(iy - y)
            header = _text(sx + side_w / 2, y + 2, [str(label)], 12, weight="bold", fill=colour, anchor="middle")
            content.append(
                f'<g class="side side-{side}"><rect class="side-bg" x="{sx:.1f}" y="{y:.1f}" width="{side_w:.1f}" height="{{H}}" rx="4" fill="{tint}"/>'
                f'{header}<line x1="{sx + 4:.1f}" x2="{sx + side_w - 4:.1f}" y1="{y + 20:.1f}" y2="{y + 20:.1f}" stroke="{colour}" stroke-width="1.5"/>'
                + "".join(items)
                + "</g>"
            )
        level_h = 0
        if level_w:
            ly = y
            level_svg = []
            for level in levels:
                lines = wrap(str(level), 11, level_w - 8)
                lh = _height(lines, 11) + 10
                level_svg.append(
                    f'<rect x="{pad:.1f}" y="{ly:.1f}" width="{level_w:.1f}" height="{lh:.1f}" rx="4" fill="#f6f8fa" stroke="{LINE}"/>'
                    + _text(pad + level_w / 2, ly + 3, lines, 11, anchor="middle")
                )
                ly += lh + 4
            level_h = ly - y
            content.append('<g class="levels">' + "".join(level_svg) + "</g>")
        column_h = max([*heights, level_h])
        content = [c.replace("{H}", f"{column_h:.1f}") for c in content]
        y += column_h + pad
    else:
        lines = wrap(_("資料に構成員の記載はありません。"), 11, inner)
        content.append(_text(pad, y - 2, lines, 11, fill=MUTED))
        y += _height(lines, 11) + pad
    box.w, box.h = width, y
    href = escape(box.body.get_absolute_url())
    stroke = (
        f'stroke="{MUTED}" stroke-width="1.5" stroke-dasharray="1 0"'
        if box.beside
        else f'stroke="{ACCENT}" stroke-width="2"'
    )
    fill = "#f6f8fa" if box.beside else "#fff"
    frame = f'<rect width="{width:.1f}" height="{y:.1f}" rx="8" fill="{fill}" {stroke}/>'
    if box.beside:
        frame += f'<rect x="3" y="3" width="{width - 6:.1f}" height="{y - 6:.1f}" rx="6" fill="none" stroke="{MUTED}" stroke-width="0.8"/>'
    out.append(f'<a href="{href}" class="box-link">{frame}{title}{tag}</a>')
    out.extend(content)
    box.svg = out


# --- layout -------------------------------------------------------------------------------


def _ends(link, boxes_by_pk):
    """(upper, lower) of a link as the chart stands them: a part under what it is part of,
    a body under what it reports to, a supporter under what it supports; coordination
    from the upper one down (beside it when both stand at the same level)."""
    a, b = boxes_by_pk[link.from_body_id], boxes_by_pk[link.to_body_id]
    if link.kind in ("part_of", "reports_to", "supports"):
        return b, a
    return a, b


def layout(boxes: list[Box], links, root_box: Box | None) -> list[list[Box]]:
    """Rows, top first: a link puts one box a row under the other, unless both stand at
    the same level and coordinate (the Joint Committee beside the ACG); a box linked to
    nothing goes in a last row."""
    by_pk = {box.body.pk: box for box in boxes}
    group = {box.body.pk: box.body.pk for box in boxes}

    def find(pk):
        while group[pk] != pk:
            pk = group[pk]
        return pk

    below: list[tuple[int, int]] = []
    linked = set()
    for link in links:
        if link.from_body_id not in by_pk or link.to_body_id not in by_pk:
            continue
        upper, lower = _ends(link, by_pk)
        linked |= {upper.body.pk, lower.body.pk}
        if link.kind == "coordinates_with" and upper.rank is not None and upper.rank == lower.rank:
            group[find(lower.body.pk)] = find(upper.body.pk)
        else:
            below.append((upper.body.pk, lower.body.pk))
    if root_box is not None:
        for box in boxes:
            if box is not root_box and box.body.parent_id == root_box.body.pk:
                below.append((root_box.body.pk, box.body.pk))
                linked |= {root_box.body.pk, box.body.pk}
    ranked = [box for box in boxes if box.rank is not None and box.body.pk in linked]
    for a in ranked:
        for b in ranked:
            if a.rank < b.rank:
                below.append((a.body.pk, b.body.pk))
    layer = {find(box.body.pk): 0 for box in boxes}
    for _round in range(len(boxes) + 1):  # longest path; a cycle stops at the bound
        changed = False
        for up, down in below:
            gu, gd = find(up), find(down)
            if gu != gd and layer[gd] < layer[gu] + 1 and layer[gu] + 1 <= len(boxes):
                layer[gd] = layer[gu] + 1
                changed = True
        if not changed:
            break
    used = sorted({layer[find(box.body.pk)] for box in boxes if box.body.pk in linked})
    renumber = {value: i for i, value in enumerate(used)}
    rows: list[list[Box]] = [[] for _ in used]
    loose = []
    for box in boxes:
        if box.body.pk in linked:
            box.layer = renumber[layer[find(box.body.pk)]]
            rows[box.layer].append(box)
        else:
            loose.append(box)
    for row in rows:
        row.sort(key=lambda box: (box.body.position, box.index))
    if loose:
        for box in loose:
            box.layer = len(rows)
        rows.append(loose)
    return rows


def _neighbours(links, by_pk):
    pairs = []
    for link in links:
        if link.from_body_id in by_pk and link.to_body_id in by_pk:
            pairs.append((by_pk[link.from_body_id], by_pk[link.to_body_id]))
    return pairs


def _place_row(row, desired, gap):
    """Left to right, each box as near its wanted centre as the one before allows; the
    row then moved as a whole to the mean of what its boxes wanted."""
    x = None
    wants = []
    for box in row:
        want = desired.get(id(box))
        left = (want - box.w / 2) if want is not None else (x if x is not None else 0)
        if x is not None:
            left = max(left, x)
        box.x = left
        x = left + box.w + gap
        if want is not None:
            wants.append(want - box.cx)
    if wants:
        shift = sum(wants) / len(wants)
        for box in row:
            box.x += shift


def _arrow_defs(prefix: str) -> str:
    return (
        f'<defs><marker id="{prefix}-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        f'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="{INK}"/></marker></defs>'
    )


def _line(x1, y1, x2, y2, link, prefix, dashed=False) -> str:
    end = f' marker-end="url(#{prefix}-arrow)"' if link.kind != "part_of" else ""
    start = f' marker-start="url(#{prefix}-arrow)"' if link.kind == "coordinates_with" else ""
    dash = ' stroke-dasharray="5 4"' if dashed else ""
    return f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}" stroke="{INK}" stroke-width="1.4"{dash}{start}{end}/>'


def _polyline(points, link, prefix) -> str:
    end = f' marker-end="url(#{prefix}-arrow)"' if link.kind != "part_of" else ""
    start = f' marker-start="url(#{prefix}-arrow)"' if link.kind == "coordinates_with" else ""
    d = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return f'<polyline points="{d}" fill="none" stroke="{INK}" stroke-width="1.4"{start}{end}/>'


def link_label(link) -> str:
    """The chart's wording on the line, in the page's language (Japanese when there is no
    English), or the kind of link when the chart has none."""
    if english_active() and link.label_en:
        return link.label_en
    return link.label_ja or str(link.get_kind_display())


def _label(x, y, text, *, anchor="middle", width=150) -> tuple[str, float]:
    lines = wrap(text, 11, width)
    h = _height(lines, 11)
    w = max(text_width(line, 11) for line in lines)
    left = {"middle": x - w / 2, "start": x, "end": x - w}[anchor]
    bg = f'<rect x="{left - 3:.1f}" y="{y:.1f}" width="{w + 6:.1f}" height="{h + 4:.1f}" rx="3" fill="#fff" fill-opacity="0.92"/>'
    return f'<g class="link-label">{bg}{_text(x, y, lines, 11, anchor=anchor, fill=INK)}</g>', h + 4


# --- the drawings -------------------------------------------------------------------------


@dataclass
class Diagram:
    svg: str
    rows: list


def _svg(prefix, width, height, title, desc, body) -> str:
    # The wide drawing may grow a little past its own size on a wide screen; the narrow
    # one is drawn at a phone's width.
    largest = width * (1 if prefix == "narrow" else 1.3)
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="diagram-{prefix}" role="group" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" style="max-width:{largest:.0f}px" font-family="{FONT}" '
        f'aria-labelledby="{prefix}-title {prefix}-desc">'
        f'<title id="{prefix}-title">{escape(title)}</title><desc id="{prefix}-desc">{escape(desc)}</desc>'
        f"{_arrow_defs(prefix)}{body}</svg>"
    )


def _describe(rows, links, by_pk) -> str:
    """The drawing in words, for <desc>: the rows top down, then the links. A <desc> cannot
    mark a Japanese phrase on an English page, so there a link without English wording is
    described by its kind."""

    def label(link):
        if english_active():
            return link.label_en or str(link.get_kind_display())
        return link.label_ja or str(link.get_kind_display())

    def name(body):
        title = _body_title(body)
        return body.abbreviation if english_active() and _lang(title) and body.abbreviation else title

    parts = []
    for i, row in enumerate(rows, 1):
        names = (", " if english_active() else "、").join(name(box.body) for box in row)
        parts.append(_("%(n)s段目: %(names)s") % {"n": i, "names": names})
    for link in links:
        a, b = by_pk[link.from_body_id], by_pk[link.to_body_id]
        parts.append(
            _("線: %(a)s — %(b)s「%(label)s」")
            % {"a": a.body.abbreviation or name(a.body), "b": b.body.abbreviation or name(b.body), "label": label(link)}
        )
    return ("; " if english_active() else "。").join(str(p) for p in parts)


def _legend(x, y, prefix) -> tuple[str, float]:
    """What the colours and the dashes mean, each swatch placed after the text before it."""
    items = []
    for label, fill, stroke, dash in (
        (_("日本側"), "#fbeeed", JP_COLOUR, ""),
        (_("米側"), "#ecf1f9", US_COLOUR, ""),
        (_("必要に応じて参加"), "none", INK, ' stroke-dasharray="4 3"'),
    ):
        label = str(label)
        items.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="14" height="12" fill="{fill}" stroke="{stroke}"{dash}/>'
            + _text(x + 18, y - 2, [label], 11, fill=stroke)
        )
        x += 18 + text_width(label, 11) + 14
    return f'<g class="legend">{"".join(items)}</g>', 22


def render(root: dict, parts: list[dict], links, beside_pks: set, title: str) -> tuple[str, str]:
    """The wide and the narrow drawing, as SVG markup."""
    return _render(root, parts, links, beside_pks, title, narrow=False), _render(
        root, parts, links, beside_pks, title, narrow=True
    )


def _render(root, parts, links, beside_pks, title, *, narrow: bool) -> str:
    prefix = "narrow" if narrow else "wide"
    root_name = root["body"].abbreviation or str(root["body"].name)
    boxes = []
    root_box = None
    if root["has_seats"]:
        root_box = Box(root, 0)
        boxes.append(root_box)
    for i, part in enumerate(parts, 1):
        boxes.append(Box(part, i, beside=part["body"].pk in beside_pks))
    for box in boxes:
        box.rank = _rank(box.part)
    by_pk = {box.body.pk: box for box in boxes}
    links = [lk for lk in links if lk.from_body_id in by_pk and lk.to_body_id in by_pk]
    rows = layout(boxes, links, root_box)
    margin = 8
    legend, legend_h = _legend(margin, margin, prefix)
    out = [legend]
    if narrow:
        svg_body, width, height = _narrow(rows, links, by_pk, root_name, margin, legend_h, prefix)
    else:
        svg_body, width, height = _wide(rows, links, by_pk, root_name, margin, legend_h, prefix)
    out.append(svg_body)
    desc = _describe(rows, links, by_pk)
    return mark_safe(_svg(prefix, width, height, title, desc, "".join(out)))


def _box_group(box: Box) -> str:
    return (
        f'<g class="box" data-slug="{escape(box.body.slug)}" data-row="{box.layer}" transform="translate({box.x:.1f} {box.y:.1f})">'
        + "".join(box.svg)
        + "</g>"
    )


def _wide(rows, links, by_pk, root_name, margin, top, prefix):
    box_w, gap = 320, 150
    for box in by_pk.values():
        draw_box(box, box_w, root_name, narrow=False)
    pairs = _neighbours(links, by_pk)
    above: dict[int, list[Box]] = {}
    under: dict[int, list[Box]] = {}
    for a, b in pairs:
        if a.layer < b.layer:
            above.setdefault(id(b), []).append(a)
            under.setdefault(id(a), []).append(b)
        elif b.layer < a.layer:
            above.setdefault(id(a), []).append(b)
            under.setdefault(id(b), []).append(a)
    for row in rows:  # top down: under what links them above
        desired = {id(box): sum(u.cx for u in above[id(box)]) / len(above[id(box)]) for box in row if id(box) in above}
        _place_row(row, desired, gap)
    for row in reversed(rows):  # bottom up: a box linked only downwards over what it links to
        desired = {
            id(box): sum(u.cx for u in under[id(box)]) / len(under[id(box)])
            for box in row
            if id(box) in under and id(box) not in above
        }
        if desired:
            for box in row:
                desired.setdefault(id(box), box.cx)
            _place_row(row, desired, gap)
    left = min(box.x for box in by_pk.values())
    for box in by_pk.values():
        box.x += margin - left
    width = max(max(box.x + box.w for box in by_pk.values()) + margin, 480)
    for row in rows:  # a row nothing places is centred
        if not any(id(box) in above or id(box) in under for box in row):
            span = sum(box.w for box in row) + gap * (len(row) - 1)
            x = (width - span) / 2
            for box in row:
                box.x = x
                x += box.w + gap
    # rows: each as tall as its tallest box; the gap under it holds the labels of the links crossing it
    y = margin + top + 6
    row_gap = 64
    for row in rows:
        for box in row:
            box.y = y
        y += max(box.h for box in row) + row_gap
    height = y - row_gap + margin
    lines, labels = [], []
    outs: dict[int, list] = {}
    ins: dict[int, list] = {}
    for a, b in pairs:
        if a.layer != b.layer:
            upper, lower = (a, b) if a.layer < b.layer else (b, a)
            outs.setdefault(id(upper), []).append(lower)
            ins.setdefault(id(lower), []).append(upper)
    for link in links:
        a, b = by_pk[link.from_body_id], by_pk[link.to_body_id]
        text = link_label(link)
        if a.layer == b.layer:
            left_box, right_box = (a, b) if a.x < b.x else (b, a)
            ly = a.y + 46
            lines.append(_line(left_box.x + left_box.w, ly, right_box.x, ly, link, prefix))
            mid = (left_box.x + left_box.w + right_box.x) / 2
            span = right_box.x - left_box.x - left_box.w - 12
            label, h = _label(mid, ly - 4 - _height(wrap(text, 11, span), 11) - 4, text, width=span)
            labels.append(label)
            continue
        upper, lower = (a, b) if a.layer < b.layer else (b, a)
        siblings = sorted(outs[id(upper)], key=lambda bx: bx.cx)
        x1 = upper.x + upper.w * (siblings.index(lower) + 1) / (len(siblings) + 1)
        parents = sorted(ins[id(lower)], key=lambda bx: bx.cx)
        x2 = lower.x + lower.w * (parents.index(upper) + 1) / (len(parents) + 1)
        y1, y2 = upper.y + upper.h, lower.y
        if link.from_body_id == upper.body.pk:
            lines.append(_line(x1, y1, x2, y2, link, prefix))
        else:
            lines.append(_line(x2, y2, x1, y1, link, prefix))
        mx, my = (x1 + x2) / 2, (y1 + y2) / 2
        label, h = _label(mx, my - 9, text)
        labels.append(label)
    body = "".join(lines) + "".join(_box_group(box) for row in rows for box in row) + "".join(labels)
    return body, width, height


def _narrow(rows, links, by_pk, root_name, margin, top, prefix):
    width = 360
    order = [box for row in rows for box in row]
    index = {id(box): i for i, box in enumerate(order)}
    adjacent, laned = [], []
    for link in links:
        a, b = by_pk[link.from_body_id], by_pk[link.to_body_id]
        (adjacent if abs(index[id(a)] - index[id(b)]) == 1 else laned).append(link)
    lane_w = 12
    lanes = len(laned)
    box_w = width - 2 * margin - (lanes * lane_w + 6 if lanes else 0)
    for box in order:
        draw_box(box, box_w, root_name, narrow=True)
        box.x = margin
    # each gap holds the labels of the links leaving the box above it
    gap_labels: dict[int, list] = {}
    for link in adjacent + laned:
        a, b = by_pk[link.from_body_id], by_pk[link.to_body_id]
        gap_labels.setdefault(min(index[id(a)], index[id(b)]), []).append(link)
    y = margin + top + 6
    gaps = {}
    for i, box in enumerate(order):
        box.y = y
        y += box.h
        n = len(gap_labels.get(i, []))
        gaps[i] = (y, n)
        y += 26 + 16 * n if i < len(order) - 1 else 0
    height = y + margin
    lines, labels = [], []
    for i, (gy, _n) in gaps.items():
        for k, link in enumerate(gap_labels.get(i, [])):
            a, b = by_pk[link.from_body_id], by_pk[link.to_body_id]
            upper, lower = (a, b) if index[id(a)] < index[id(b)] else (b, a)
            text = link_label(link)
            ly = gy + 6 + 16 * k
            if link in adjacent:
                x = upper.x + 40 + 24 * k
                if link.from_body_id == upper.body.pk:
                    lines.append(_line(x, upper.y + upper.h, x, lower.y, link, prefix))
                else:
                    lines.append(_line(x, lower.y, x, upper.y + upper.h, link, prefix))
                label, _h = _label(x + 8, ly, text, anchor="start", width=box_w - 60)
            else:
                lane = laned.index(link)
                lx = margin + box_w + 6 + lane * lane_w + lane_w / 2
                y1 = upper.y + 24 + 10 * lane
                y2 = lower.y + 24 + 10 * lane
                points = [(upper.x + upper.w, y1), (lx, y1), (lx, y2), (lower.x + lower.w, y2)]
                if link.from_body_id != upper.body.pk:
                    points.reverse()
                lines.append(_polyline(points, link, prefix))
                label, _h = _label(lx - 6, ly, text, anchor="end", width=box_w - 60)
            labels.append(label)
    body = "".join(lines) + "".join(_box_group(box) for box in order) + "".join(labels)
    return body, width, height
