"""marshmallow schemas of the arena API, one module per half (live events; quick matches)."""
