"""Inbox and notices endpoints: my messages, my delivery choices, notices and their read receipts."""
from __future__ import annotations

from flask.views import MethodView

from .. import schemas_inbox as s
from ..auth import actor
from ..services import inbox, notices, scope
from .base import ApiBlueprint

inbox_blp = ApiBlueprint("Inbox", __name__, url_prefix="/api/v1/me/inbox",
                         description="The caller's inbox and how they want to be told")
notices_blp = ApiBlueprint("Notices", __name__, url_prefix="/api/v1/notices",
                           description="Notices (通知公告) from an org to its subtree, with read receipts")


@inbox_blp.route("")
@inbox_blp.arguments(s.InboxQuerySchema, location="query", error_status_code=400)
@inbox_blp.response(200, s.InboxPageSchema)
def my_inbox(query):
    """My inbox, newest first; `unread=true` for unread only, `kind` to filter."""
    return inbox.page(actor(), query["page"], query["per_page"], query["unread"], query["kind"])


@inbox_blp.route("/unread")
@inbox_blp.response(200, s.UnreadSchema)
def my_unread():
    """How many inbox messages I have not read."""
    return {"unread": inbox.unread_count(actor())}


@inbox_blp.route("/<int:notification_id>/read", methods=["POST"])
@inbox_blp.response(200, s.NotificationSchema)
def read_one(notification_id):
    """Mark one of my messages read."""
    note = inbox.mark_read(actor(), notification_id)
    return note


@inbox_blp.route("/read-all", methods=["POST"])
@inbox_blp.response(200, s.UnreadSchema)
def read_all():
    """Mark all my messages read."""
    me_ = actor()
    inbox.mark_all_read(me_)
    return {"unread": 0}


@inbox_blp.route("/preferences")
class Preferences(MethodView):
    @inbox_blp.response(200, s.PreferencesSchema)
    def get(self):
        """Which kinds I get in the app and by which channels, and my channel addresses."""
        return inbox.preferences(actor())

    @inbox_blp.arguments(s.PreferencesSchema)
    @inbox_blp.response(200, s.PreferencesSchema)
    def put(self, data):
        """Change my choices (kinds not listed keep theirs); an empty address removes it."""
        result = inbox.set_preferences(actor(), data["kinds"], data["addresses"])
        return result


@notices_blp.route("")
class NoticeList(MethodView):
    @notices_blp.arguments(s.NoticeQuerySchema, location="query", error_status_code=400)
    @notices_blp.response(200, s.NoticePageSchema)
    def get(self, query):
        """Notices addressed to me (or with `managed=true`, those I see receipts of), searchable and sorted."""
        return notices.notice_page(actor(), query, managed=query["managed"])

    @notices_blp.arguments(s.NoticeCreateSchema)
    @notices_blp.response(201, s.NoticeSchema)
    def post(self, data):
        """Publish a notice to an org's subtree; each active member there gets it in their inbox."""
        me_ = actor()
        org = scope.require_org(me_, data["org_id"], "notice.publish")
        notice = notices.publish(me_, org, data["title"], data["body"], data["pinned"])
        return notice


@notices_blp.route("/<int:notice_id>")
class NoticeItem(MethodView):
    @notices_blp.response(200, s.NoticeDetailSchema)
    def get(self, notice_id):
        """One notice; the first look of a recipient is their read receipt."""
        me_ = actor()
        shown = notices.open_notice(me_, notices.require_notice(me_, notice_id))
        return shown

    @notices_blp.response(200, s.NoticeSchema)
    def delete(self, notice_id):
        """Withdraw a notice (receipts stay)."""
        me_ = actor()
        notice = notices.withdraw(me_, notices.require_notice(me_, notice_id))
        return notice


@notices_blp.route("/<int:notice_id>/receipts")
@notices_blp.arguments(s.ReceiptQuerySchema, location="query", error_status_code=400)
@notices_blp.response(200, s.ReceiptPageSchema)
def notice_receipts(query, notice_id):
    """Who in my scope has (not) read a notice: for organisers and reviewers, never for members."""
    me_ = actor()
    return notices.receipts(me_, notices.require_notice(me_, notice_id), status=query["status"], q=query["q"],
                            page_no=query["page"], per_page=query["per_page"])
