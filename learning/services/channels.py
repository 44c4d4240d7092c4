"""Delivery channels beyond the app (e-mail, SMS, WeCom): a small interface and the outbox that feeds it.

A channel is an object with `name`, `label()`, `configured(config)`, `normalise_address(text)` and
`send(address, message)`; register it with `register_channel` from a package's `register(app)`.
`send` raises `DeliveryFailed` (or any exception) when the message did not go; the outbox retries
with backoff and gives up after `MAX_ATTEMPTS`. See docs/inbox.md.
"""
from __future__ import annotations

import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import timedelta
from email.message import EmailMessage
from email.utils import formataddr

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..extensions import db
from ..models import ChannelAddress, Delivery, Notification
from ..timeutil import utcnow

MAX_ATTEMPTS = 5


class DeliveryFailed(Exception):
    """The channel could not send this message now (the outbox tries again later)."""


@dataclass(frozen=True)
class OutboundMessage:
    """What a channel sends: the inbox message, its link made absolute when PUBLIC_URL is set."""

    title: str
    body: str
    link: str | None
    kind: str


_CHANNELS: dict[str, object] = {}


def register_channel(channel) -> None:
    """Make a delivery channel available (idempotent by name)."""
    _CHANNELS.setdefault(channel.name, channel)


def registered() -> list:
    """Every registered channel."""
    return list(_CHANNELS.values())


def get(name: str):
    """The channel of that name, or None."""
    return _CHANNELS.get(name)


def available(name: str) -> bool:
    """Whether the channel exists and this installation configured it (an SMTP server for e-mail)."""
    channel = _CHANNELS.get(name)
    return channel is not None and channel.configured(current_app.config)


EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")


class SmtpChannel:
    """E-mail over SMTP (MAIL_SERVER, MAIL_PORT, MAIL_SECURITY none|starttls|ssl, MAIL_USERNAME,
    MAIL_PASSWORD, MAIL_FROM, MAIL_TIMEOUT)."""

    name = "email"

    @staticmethod
    def label() -> str:
        return _l("E-mail")

    def configured(self, config) -> bool:
        return bool(config.get("MAIL_SERVER"))

    def normalise_address(self, text: str) -> str:
        address = (text or "").strip()
        if len(address) > 254 or not EMAIL_RE.match(address):
            raise ValueError("not an e-mail address")
        return address

    def send(self, address: str, message: OutboundMessage) -> None:
        config = current_app.config
        mail = EmailMessage()
        mail["Subject"] = message.title
        mail["From"] = formataddr((config.get("MAIL_FROM_NAME") or "先锋学习", config["MAIL_FROM"]))
        mail["To"] = address
        text = message.body or ""
        if message.link:
            text = f"{text}\n\n{message.link}".strip()
        mail.set_content(text or message.title)
        security = config.get("MAIL_SECURITY", "none")
        timeout = float(config.get("MAIL_TIMEOUT", 10))
        try:
            if security == "ssl":
                smtp = smtplib.SMTP_SSL(config["MAIL_SERVER"], int(config.get("MAIL_PORT", 465)), timeout=timeout,
                                        context=ssl.create_default_context())
            else:
                smtp = smtplib.SMTP(config["MAIL_SERVER"], int(config.get("MAIL_PORT", 25)), timeout=timeout)
            with smtp:
                if security == "starttls":
                    smtp.starttls(context=ssl.create_default_context())
                if config.get("MAIL_USERNAME"):
                    smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
                smtp.send_message(mail)
        except (OSError, smtplib.SMTPException) as exc:
            raise DeliveryFailed(f"{type(exc).__name__}: {exc}") from exc


def _outbound(note: Notification) -> OutboundMessage:
    base = (current_app.config.get("PUBLIC_URL") or "").rstrip("/")
    link = f"{base}{note.link}" if note.link and base and note.link.startswith("/") else note.link
    return OutboundMessage(title=note.title, body=note.body or "", link=link, kind=note.kind)


def due_deliveries(limit: int = 100) -> list[int]:
    """Ids of outbox rows due now, oldest first."""
    return list(db.session.scalars(select(Delivery.id).where(
        Delivery.status == "pending", Delivery.next_attempt_at <= utcnow())
        .order_by(Delivery.next_attempt_at, Delivery.id).limit(limit)))


def deliver(delivery_id: int) -> str:
    """Try one outbox row: sent, pending again (with backoff) or failed for good. Flushes."""
    stmt = select(Delivery).where(Delivery.id == delivery_id, Delivery.status == "pending")
    if db.engine.dialect.name == "postgresql":
        stmt = stmt.with_for_update(skip_locked=True)  # two workers never send the same row
    row = db.session.scalar(stmt)
    if row is None:
        return "skipped"
    note = db.session.get(Notification, row.notification_id)
    channel = get(row.channel)
    address = db.session.scalar(select(ChannelAddress.address).where(
        ChannelAddress.member_id == note.member_id, ChannelAddress.channel == row.channel))
    row.attempts += 1
    if channel is None or not channel.configured(current_app.config) or not address:
        row.status, row.last_error = "failed", "channel not configured or no address"
    else:
        try:
            channel.send(address, _outbound(note))
        except Exception as exc:  # noqa: BLE001 - any failure of a channel we do not own is retried
            row.last_error = str(exc)[:300]
            if row.attempts >= MAX_ATTEMPTS:
                row.status = "failed"
            else:
                row.next_attempt_at = utcnow() + timedelta(minutes=2 ** row.attempts)
        else:
            row.status, row.sent_at, row.last_error = "sent", utcnow(), None
    db.session.flush()
    return row.status
