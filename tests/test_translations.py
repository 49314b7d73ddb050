"""The interface is Swedish by default and every message has its Swedish text."""

from pathlib import Path

import polib
from django.conf import settings

PO = Path(settings.BASE_DIR) / "locale" / "sv" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")


def test_every_message_has_a_swedish_translation():
    catalog = polib.pofile(str(PO))
    untranslated = [e.msgid for e in catalog.untranslated_entries()]
    fuzzy = [e.msgid for e in catalog.fuzzy_entries()]
    assert not untranslated, f"Missing Swedish for: {untranslated}"
    assert not fuzzy, f"Fuzzy (unchecked) Swedish for: {fuzzy}"


def test_the_compiled_catalog_matches_the_source(tmp_path):
    """A .po edited without `make messages` would leave the site showing English."""
    compiled = polib.mofile(str(MO))
    source = polib.pofile(str(PO))
    translated = {
        e.msgid: e.msgstr
        for e in source.translated_entries()
        if not e.msgid_plural and not e.obsolete
    }
    in_mo = {e.msgid: e.msgstr for e in compiled if not e.msgid_plural}
    assert {k: in_mo.get(k) for k in translated} == translated


def test_the_default_language_is_swedish_with_english_available():
    assert settings.LANGUAGE_CODE == "sv"
    assert [code for code, _name in settings.LANGUAGES] == ["sv", "en"]


def test_every_translation_keeps_the_placeholders_of_its_message():
    """A Swedish text that drops or renames %(name)s would crash or mislead at run time."""
    import re

    placeholder = re.compile(r"%\((\w+)\)[sd]")
    wrong = []
    for entry in polib.pofile(str(PO)).translated_entries():
        expected = set(placeholder.findall(entry.msgid))
        texts = list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]
        plural_ids = set(placeholder.findall(entry.msgid_plural or ""))
        for text in texts:
            if set(placeholder.findall(text)) not in (expected, expected | plural_ids):
                wrong.append(entry.msgid)
    assert not wrong, f"Placeholders differ in: {wrong}"
