
from django import template
from django.utils.formats import localize
from django.utils.html import conditional_escape, format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from alliance.models import public
from alliance.models.base import english_active, needs_lang_ja
from alliance.public.search import snippet as find_snippet

register = template.Library()


@register.filter
def loc(obj, stem):
    """``obj.<stem>_en`` in English when it is filled in, else ``obj.<stem>_ja`` (or
    ``obj.<stem>``, for fields whose Japanese column has no suffix: role, legal_basis_article)."""
    if obj is None:
        return ""
    if english_active():
        value = getattr(obj, f"{stem}_en", "")
        if value:
            return value
    return getattr(obj, f"{stem}_ja", None) or getattr(obj, stem, "") or ""


@register.filter
def pd(value):
    """A partial date in the active language at its precision, with the ISO form for machines."""
    if value is None:
        return ""
    return value.display()


@register.filter
def visible(obj):
    """The record, or None when it is a draft the public must not see."""
    return public(obj)


@register.filter
def lines(text):
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


@register.simple_tag(takes_context=True)
def query(context, **changes):
    """The list's current query string with some parameters changed."""
    return context["state"].query_string(**{k: (None if v == "" else v) for k, v in changes.items()})


@register.filter
def ja(value):
    """On an English page, text with Japanese in it (a name with no English one, a summary
    not yet translated) marked ``lang="ja"``, so screen readers, fonts and translators treat
    it as Japanese. Elsewhere the text as it is (escaped unless already safe)."""
    if value is None or value == "":
        return ""
    if needs_lang_ja(value):
        return format_html('<span lang="ja">{}</span>', conditional_escape(value))
    return conditional_escape(value)


@register.filter
def joined(values, separator="、"):
    """A list joined as the language writes it: 、 (or ・) in Japanese, commas in English;
    each item marked as ``ja`` does."""
    glue = ", " if english_active() else separator
    return mark_safe(glue.join(str(ja(v)) for v in values))


@register.simple_tag
def snippet(record, terms, title=""):
    """The passage of ``record`` where a search term was found, the match in <mark>;
    marked lang="ja" on an English page when the passage is Japanese."""
    found = find_snippet(record, terms, str(title))
    if found is None:
        return ""
    lang = ' lang="ja"' if needs_lang_ja(found.before + found.match + found.after) else ""
    return format_html(
        '<p class="snippet"{}>{}<mark>{}</mark>{}</p>', mark_safe(lang), found.before, found.match, found.after
    )


@register.filter
def describe(obj):
    """A record's page described in a sentence or two for search engines and link previews
    (``<meta name="description">``): its title, what kind of record it is, and its summary
    or purpose in the active language (never the other language's text on an English page)."""
    from django.utils.translation import gettext as _

    title = getattr(obj, "title", None) or str(obj)
    kind = obj._meta.verbose_name
    text = ""
    for stem in ("summary", "purpose"):
        if hasattr(obj, f"{stem}_ja"):
            text = getattr(obj, f"{stem}_en", "") if english_active() else getattr(obj, f"{stem}_ja", "")
            if text:
                break
    if not text and hasattr(obj, "distinguishing_parts"):
        text = (", " if english_active() else "、").join(str(p) for p in obj.distinguishing_parts() if p)
    if not text and hasattr(obj, "side"):  # a seat
        text = str(obj.get_side_display())
    text = " ".join(str(text).split()).rstrip("。.")
    if not text:
        return _("%(title)s（%(kind)s）。日米同盟レジストリの、政府資料の出典と引用つきの記録。") % {"title": title, "kind": kind}
    return _("%(title)s（%(kind)s）: %(text)s。日米同盟レジストリの、政府資料の出典と引用つきの記録。") % {
        "title": title,
        "kind": kind,
        "text": text,
    }


@register.filter
def url_breaks(url):
    """An address that may wrap only after a slash, never inside a slug (whose hyphens a
    browser would otherwise break at): each part kept whole, a <wbr> between them. The
    text copied is the address itself."""
    import re

    from django.utils.html import escape

    url = str(url)
    host_end = url.find("/", url.find("//") + 2) + 1 if "//" in url else 0
    parts = ([url[:host_end]] if host_end else []) + re.findall(r"[^/]*/|[^/]+$", url[host_end:])
    return mark_safe("<wbr>".join(f'<span class="url-part">{escape(part)}</span>' for part in parts if part))


@register.simple_tag
def meeting_rows(rows):
    """The meeting list's rows: the markup its template wrote, byte for byte (a test holds
    them to it), written here because the template engine spent about 160 µs a row
    resolving its fifteen variables, filters and tags, more than the page's SQL."""
    labels = [conditional_escape(gettext(label)) for label in ("開催日", "会議", "協議体・形式", "場所")]
    out = []
    for m in rows:
        start = m.start
        when = f'<time datetime="{conditional_escape(start.iso()) if start is not None else ""}">{conditional_escape(pd(start))}</time>'
        session = ""
        if m.session_number and m.has_own_name:
            session = ' <span class="muted">' + gettext("第%(n)s回") % {"n": conditional_escape(localize(m.session_number))} + "</span>"
        b = visible(m.body)
        body = f'<a href="{conditional_escape(b.get_absolute_url())}">{ja(b.abbreviation or b.name)}</a>' if b else ""
        out.append(
            f'\n<tr>\n  <td class="nowrap" data-label="{labels[0]}">{when}</td>\n'
            f'  <td data-label="{labels[1]}"><a href="{conditional_escape(m.get_absolute_url())}">{ja(m.title)}</a>{session}</td>\n'
            f'  <td data-label="{labels[2]}">{body}</td>\n'
            f'  <td data-label="{labels[3]}">{ja(loc(m, "place"))}</td>\n</tr>\n'
        )
    return mark_safe("".join(out))
