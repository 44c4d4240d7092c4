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
