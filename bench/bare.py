"""The baseline: a bare Flask app with one trivial JSON endpoint, served exactly like the real app."""
from flask import Flask, jsonify

app = Flask(__name__)


@app.get("/ping")
def ping():
    """A constant JSON answer: the cost of gunicorn, gevent and Flask alone."""
    return jsonify(ok=True)
