"""Flask-Babel merges every package's catalogue into one: a message may have only one Chinese."""
from pathlib import Path

from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent


def test_no_message_is_translated_two_ways_across_packages():
    seen: dict[str, dict[str, str]] = {}
    for po in sorted(ROOT.glob("*/translations/zh/LC_MESSAGES/messages.po")):
        with po.open("rb") as f:
            for message in read_po(f):
                if isinstance(message.id, str) and message.id and message.string:
                    seen.setdefault(message.id, {})[po.parts[-5]] = message.string
    clashes = {k: v for k, v in seen.items() if len(set(v.values())) > 1}
    assert not clashes, f"give these one translation, or distinct English msgids: {clashes}"


def _extracted(package: str) -> dict[str, list[str]]:
    """Every msgid of a package as `pybabel extract -F babel.cfg` finds it (the cfg's keywords: `_l`, lazy_gettext,
    the domain errors ...), with where it occurs."""
    from babel.messages.extract import extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg

    with (ROOT / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {}
    for line in (ROOT / "babel.cfg").read_text().splitlines():
        if line.strip().startswith("keywords"):
            for word in line.split("=", 1)[1].split():
                name, _, spec = word.partition(":")
                keywords[name] = tuple(int(x) for x in spec.split(",")) if spec else None
    found: dict[str, list[str]] = {}
    for filename, lineno, msg, _comments, _context in extract_from_dir(str(ROOT / package), method_map, options_map,
                                                                       keywords=keywords):
        msgid = msg if isinstance(msg, str) else msg[0]
        if msgid:
            found.setdefault(msgid, []).append(f"{package}/{filename}:{lineno}")
    return found


PACKAGES = sorted(p.parts[-5] for p in ROOT.glob("*/translations/zh/LC_MESSAGES/messages.po"))


def _translated(package: str) -> set[str]:
    with (ROOT / package / "translations/zh/LC_MESSAGES/messages.po").open("rb") as f:
        return {(m.id if isinstance(m.id, str) else m.id[0]) for m in read_po(f)
                if m.id and m.string and (isinstance(m.string, str) or all(m.string)) and not m.fuzzy}


def test_every_package_translates_its_own_messages():
    """Each package's catalogue has Chinese for every msgid its code and templates use (lazy `_l` labels and domain
    errors included). Relying on another package's catalogue is not enough: Flask-Babel merges them, so a msgid
    another package happens to translate would show *their* wording (reports' "Explanation" showed quizzes' 解析)."""
    missing = {}
    for package in PACKAGES:
        translated = _translated(package)
        gaps = {k: v[0] for k, v in _extracted(package).items() if k not in translated}
        if gaps:
            missing[package] = gaps
    assert not missing, f"add zh msgstrs (or distinct msgids) for: {missing}"
