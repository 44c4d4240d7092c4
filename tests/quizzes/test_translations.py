"""Every message of the quizzes package (pages, flashes, service errors shown on pages) has its Chinese."""
from pathlib import Path

from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]


def test_every_message_of_the_quizzes_package_has_a_chinese_translation():
    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    extracted = {msg if isinstance(msg, str) else msg[0]
                 for _, _, msg, _, _ in extract_from_dir(str(ROOT / "quizzes"), method_map, options_map,
                                                         keywords=DEFAULT_KEYWORDS)}
    with (ROOT / "quizzes/translations/zh/LC_MESSAGES/messages.po").open("rb") as po:
        catalog = read_po(po)
    translated = {(m.id if isinstance(m.id, str) else m.id[0]) for m in catalog
                  if m.id and m.string and (isinstance(m.string, str) or all(m.string))}
    assert sorted(extracted - translated) == []
