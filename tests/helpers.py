"""Small helpers shared by tests."""
import contextlib
import re

CSRF_RE = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"|name="csrf-token" content="([^"]+)"')


def csrf_token(client, path: str) -> str:
    """The CSRF token embedded in a page."""
    html = client.get(path).get_data(as_text=True)
    match = CSRF_RE.search(html)
    assert match, f"no CSRF token on {path}"
    return match.group(1) or match.group(2)


def assert_error(response, status: int, code: str | None = None):
    """The response is a JSON error of the documented shape."""
    assert response.status_code == status, response.get_data(as_text=True)
    body = response.get_json()
    assert isinstance(body, dict) and "code" in body and "message" in body, body
    if code:
        assert body["code"] == code, body
    return body


@contextlib.contextmanager
def statements():
    """The SQL statements run inside the block, whitespace folded, upper-cased."""
    from sqlalchemy import event

    from learning.extensions import db

    seen: list[str] = []

    def note(conn, cursor, statement, *args):
        seen.append(" ".join(statement.split()).upper())

    event.listen(db.engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", note)


def work(seen: list[str]) -> list[str]:
    """The statements that read or write rows (no transaction control)."""
    return [q for q in seen if not q.startswith(("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"))]


def untranslated(package: str) -> list[str]:
    """Messages extracted from a package's code and pages that its zh catalogue does not translate."""
    from pathlib import Path

    from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
    from babel.messages.frontend import parse_mapping_cfg
    from babel.messages.pofile import read_po

    root = Path(__file__).resolve().parent.parent
    with (root / "babel.cfg").open() as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    extracted = {msg if isinstance(msg, str) else msg[0]
                 for _, _, msg, _, _ in extract_from_dir(str(root / package), method_map, options_map,
                                                         keywords=DEFAULT_KEYWORDS)}
    with (root / package / "translations/zh/LC_MESSAGES/messages.po").open("rb") as po:
        catalog = read_po(po)
    translated = {(m.id if isinstance(m.id, str) else m.id[0]) for m in catalog
                  if m.id and m.string and (isinstance(m.string, str) or all(m.string))}
    return sorted(extracted - translated)


def tcp_listener():
    """A TCP socket on 127.0.0.1 that notes every connection made to it: (port, seen, close)."""
    import socket
    import threading

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    server.settimeout(0.2)
    seen, stop = [], threading.Event()

    def accept():
        while not stop.is_set():
            try:
                conn, _ = server.accept()
            except OSError:
                continue
            seen.append(True)
            conn.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    return server.getsockname()[1], seen, lambda: (stop.set(), thread.join(), server.close())
