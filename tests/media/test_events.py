"""Live processing progress over Server-Sent Events."""
import json
import threading

from learning.events import bus
from media.services import create_upload


def _events(chunks):
    """Parse `state` events out of an SSE byte stream as they arrive."""
    buffer = ""
    for chunk in chunks:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            data = [line[6:] for line in block.splitlines() if line.startswith("data: ")]
            if data:
                yield json.loads("".join(data))


def _asset(db, tree, status):
    asset = create_upload(None, tree.branch1, "a.mp4", "直播进度", size=10)
    asset.status = status
    db.session.commit()
    return asset


def test_events_of_a_finished_asset_send_its_state_and_end(client, db, tree, organiser):
    _, headers = organiser
    asset = _asset(db, tree, "ready")
    response = client.get(f"/api/v1/media/{asset.id}/events", headers=headers)
    assert response.mimetype == "text/event-stream"
    assert [e["status"] for e in _events([response.data])] == ["ready"]


def test_events_stream_published_progress_until_ready(app, client, db, tree, organiser):
    _, headers = organiser
    asset = _asset(db, tree, "processing")
    channel, stop = f"media:{asset.id}", threading.Event()

    def publisher():  # the worker's side: progress every 0.1 s until the page has seen it
        with app.app_context():
            while not stop.wait(0.1):
                bus().publish(channel, {"id": asset.id, "status": "processing", "progress": 0.5})

    response = client.get(f"/api/v1/media/{asset.id}/events", headers=headers, buffered=False)
    thread = threading.Thread(target=publisher, daemon=True)
    thread.start()
    seen = []
    try:
        for event in _events(response.response):
            seen.append(event)
            if event.get("progress") == 0.5 and not stop.is_set():
                stop.set()
                bus().publish(channel, {"id": asset.id, "status": "ready", "progress": 1.0})
            if event["status"] == "ready":
                break
    finally:
        stop.set()
        response.close()
    assert seen[0]["status"] == "processing"
    assert 0.5 in [e["progress"] for e in seen]
    assert seen[-1] == {"id": asset.id, "status": "ready", "progress": 1.0}
