"""Small helpers shared by tests."""
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
