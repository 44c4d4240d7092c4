"""Probes for the load balancer (issue 11 point 12)."""


def test_healthz_answers_without_a_login(client):
    resp = client.get("/healthz")
    assert resp.status_code == 200 and resp.get_json() == {"status": "ok"}


def test_readyz_checks_the_database(client):
    body = client.get("/readyz").get_json()
    assert body["status"] == "ok" and body["checks"]["database"] == "ok"


def test_readyz_is_unavailable_when_redis_does_not_answer(app, client):
    saved = app.config.get("REDIS_URL")
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    try:
        resp = client.get("/readyz")
    finally:
        app.config["REDIS_URL"] = saved
    assert resp.status_code == 503 and resp.get_json()["checks"]["redis"] == "failed"
