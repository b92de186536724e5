"""The English catalogue is complete, and the compiled .mo matches the .po it came from."""

from pathlib import Path

import polib

LOCALE = Path(__file__).resolve().parent.parent / "alliance" / "locale" / "en" / "LC_MESSAGES"


def test_every_message_has_an_english_translation():
    po = polib.pofile(str(LOCALE / "django.po"))
    assert po.untranslated_entries() == []
    assert po.fuzzy_entries() == []
    for entry in po.translated_entries():
        for placeholder in ("%(", "{{"):
            assert entry.msgid.count(placeholder) == entry.msgstr.count(placeholder) or entry.msgid_plural, entry.msgid


def test_the_compiled_catalogue_is_up_to_date():
    po = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in polib.pofile(str(LOCALE / "django.po")).translated_entries()}
    mo = {(e.msgctxt, e.msgid): e.msgstr or e.msgstr_plural for e in polib.mofile(str(LOCALE / "django.mo")) if e.msgid}
    assert mo == po, "run: cd alliance && ../.venv/bin/python ../manage.py compilemessages -l en"
