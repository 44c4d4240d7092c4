"""Reading Server-Sent Events frames from a streamed test response or a raw socket."""
from __future__ import annotations

import json


class Frames:
    """Parses the frames of an SSE body as they arrive; `next()` returns the next data frame."""

    def __init__(self, chunks):
        self._chunks = iter(chunks)
        self._buffer = ""

    def next(self, skip_unnumbered: bool = False) -> dict:
        while True:
            while "\n\n" not in self._buffer:
                chunk = next(self._chunks)
                self._buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
            frame, self._buffer = self._buffer.split("\n\n", 1)
            fields = dict(line.split(": ", 1) for line in frame.splitlines() if ": " in line and not line.startswith(":"))
            if "data" not in fields:
                continue
            message = json.loads(fields["data"])
            message["_id"] = int(fields["id"]) if "id" in fields else None
            if skip_unnumbered and message["_id"] is None:
                continue
            return message
