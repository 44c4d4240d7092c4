"""What every blueprint of the core API shares: a parser that reads multipart forms whole."""
from __future__ import annotations

from flask_smorest import Blueprint
from webargs.flaskparser import FlaskParser
from werkzeug.datastructures import CombinedMultiDict


class FormParser(FlaskParser):
    """webargs parser whose `files` location also sees the form fields of a multipart request.

    flask-smorest documents one request body per operation; an upload with extra fields
    (a file plus a password) is one multipart body, so one schema reads both parts.
    """

    def load_files(self, req, schema):
        """Files and form fields of a multipart request, as one multidict."""
        return self._makeproxy(CombinedMultiDict([req.files, req.form]), schema)

    def handle_error(self, error, req, schema, *, error_status_code, error_headers):
        """Report field errors without the location wrapper webargs adds for files."""
        messages = error.messages
        if isinstance(messages, dict) and set(messages) == {"files"}:
            error.messages = messages["files"]
        super().handle_error(error, req, schema, error_status_code=error_status_code,
                             error_headers=error_headers)


class ApiBlueprint(Blueprint):
    """A flask-smorest blueprint of the core API."""

    ARGUMENTS_PARSER = FormParser()
