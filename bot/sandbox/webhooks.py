"""Webhook state and delivery, as Telegram does it: ``setWebhook`` / ``deleteWebhook`` /
``getWebhookInfo``; while a webhook is set ``getUpdates`` answers 409 and the queued updates
are POSTed to the URL as JSON (``X-Telegram-Bot-Api-Secret-Token`` when a secret was given),
one chat's updates in order (the next only after the previous was answered 2xx), different
chats in parallel up to ``max_connections``. A non-2xx answer or a failed connection is
recorded as ``last_error_message`` and the update is sent again after a growing pause; it
stays in ``pending_update_count`` until a 2xx answer confirms it.

Telegram wants an HTTPS URL on port 443, 80, 88 or 8443; like a local Bot API server, the
sandbox also takes plain ``http://`` to a loopback address (the tests' bots listen there).
"""

from __future__ import annotations

import asyncio
import json
import re
import time
from typing import Any
from urllib.parse import urlsplit

import aiohttp

from bot.kernel.tasks import cancelled
from bot.sandbox.records import ApiError, JSONDict, bad_request

WEBHOOK_ACTIVE = ("Conflict: can't use getUpdates method while webhook is active; "
                  "use deleteWebhook to delete the webhook first")
SECRET_PATTERN = re.compile(r"^[A-Za-z0-9_-]{1,256}$")
LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})
TELEGRAM_PORTS = frozenset({443, 80, 88, 8443})
UPDATE_KINDS = (
    "message", "edited_message", "channel_post", "edited_channel_post", "business_connection",
    "business_message", "edited_business_message", "deleted_business_messages",
    "message_reaction", "message_reaction_count", "inline_query", "chosen_inline_result",
    "callback_query", "shipping_query", "pre_checkout_query", "purchased_paid_media", "poll",
    "poll_answer", "my_chat_member", "chat_member", "chat_join_request", "chat_boost",
    "removed_chat_boost")


def update_kind(update: JSONDict) -> str | None:
    return next((key for key in update if key != "update_id"), None)


def update_chat(update: JSONDict) -> Any:
    """The chat an update belongs to (its order lane); None when it has none."""
    body = update.get(update_kind(update) or "")
    if not isinstance(body, dict):
        return None
    if isinstance(body.get("chat"), dict):
        return body["chat"].get("id")
    message = body.get("message")
    if isinstance(message, dict) and isinstance(message.get("chat"), dict):
        return message["chat"].get("id")
    sender = body.get("from")
    return ("user", sender.get("id")) if isinstance(sender, dict) else None


class WebhooksMixin:
    """Part of `FakeTelegram` (its state is set up in ``FakeTelegram.__init__``): the webhook
    (``_webhook``), its delivery task and its errors."""

    # ------------------------------------------------------------------ test helpers

    @property
    def webhook_url(self) -> str:
        return self._webhook["url"] if self._webhook else ""

    def webhook_deliveries(self) -> list[tuple[int, int | str]]:
        """Every push made: (update_id, HTTP status or the connection error's name)."""
        return list(self._webhook_log)

    def use_webhook_secret(self, secret: str | None) -> None:
        """Push with this secret from now on (a test's way to send a wrong one)."""
        if self._webhook is not None:
            self._webhook["secret_token"] = secret

    # ------------------------------------------------------------------ Bot API methods

    def _m_setwebhook(self, p: JSONDict) -> bool:
        url = str(p.get("url") or "")
        if not url:
            self._drop_webhook(bool(p.get("drop_pending_updates")))
            return True
        parts = urlsplit(url)
        try:
            port = parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise bad_request("bad webhook: Wrong port number specified in the URL") from None
        if parts.scheme not in ("https", "http") or not parts.hostname:
            raise bad_request("bad webhook: Failed to resolve host: Name or service not known")
        loopback = parts.hostname in LOOPBACK
        if parts.scheme == "http" and not loopback:
            raise bad_request("bad webhook: An HTTPS URL must be provided for webhook")
        if not loopback and port not in TELEGRAM_PORTS:
            raise bad_request("bad webhook: Webhook can be set up only on ports 80, 88, 443 "
                              "or 8443")
        secret = p.get("secret_token")
        if secret is not None and not SECRET_PATTERN.match(str(secret)):
            raise bad_request("secret token contains unallowed characters")
        allowed = p.get("allowed_updates")
        if allowed is not None and not (isinstance(allowed, list)
                                        and all(isinstance(kind, str) for kind in allowed)):
            raise bad_request("can't parse allowed_updates JSON object")
        connections = int(p.get("max_connections") or 40)
        if not 1 <= connections <= 100:
            connections = max(1, min(connections, 100))
        if p.get("drop_pending_updates"):
            self._updates.clear()
            self._max_fetched_id = self._last_enqueued_id
        previous = self._webhook
        self._webhook = {
            "url": url, "secret_token": secret, "max_connections": connections,
            # as Telegram: an empty or absent list keeps the types asked for before
            "allowed_updates": allowed or (previous or {}).get("allowed_updates"),
        }
        self._poll_generation += 1          # a pending long poll ends
        self._start_pushing()
        self._notify()
        return True

    def _m_deletewebhook(self, p: JSONDict) -> bool:
        self._drop_webhook(bool(p.get("drop_pending_updates")))
        return True

    def _m_getwebhookinfo(self, p: JSONDict) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }
        if self._webhook is not None:
            info["max_connections"] = self._webhook["max_connections"]
            if self._webhook["allowed_updates"]:
                info["allowed_updates"] = list(self._webhook["allowed_updates"])
            info["ip_address"] = "127.0.0.1"
        if self._webhook_error is not None:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    def _refuse_polling_with_webhook(self) -> None:
        if self._webhook is not None:
            raise ApiError(409, WEBHOOK_ACTIVE)

    # ------------------------------------------------------------------ delivery

    def _drop_webhook(self, drop_pending: bool) -> None:
        self._webhook = None
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            self._webhook_task = None
        if drop_pending:
            self._updates.clear()
            self._max_fetched_id = self._last_enqueued_id
        self._notify()

    def _start_pushing(self) -> None:
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.get_running_loop().create_task(
                self._push_updates(), name="sandbox webhook")

    async def _stop_pushing(self) -> None:
        task, self._webhook_task = self._webhook_task, None
        await cancelled(task)

    async def _push_updates(self) -> None:
        """Start a push for the oldest waiting update of every chat that has none under way
        (and whose retry pause is over); confirm on 2xx."""
        in_flight: dict[int, asyncio.Task] = {}
        busy: set[Any] = set()
        retry_at: dict[int, float] = {}
        attempts: dict[int, int] = {}
        async with aiohttp.ClientSession() as session:
            try:
                while self._webhook is not None and not self._closing:
                    wait = 1.0
                    now = time.monotonic()
                    seen: set[Any] = set()
                    allowed = self._webhook["allowed_updates"]
                    for update in list(self._updates):
                        if allowed and update_kind(update) not in allowed:
                            self._forget_update(update["update_id"])   # never asked for
                            continue
                        chat = update_chat(update)
                        lane = chat if chat is not None else ("update", update["update_id"])
                        if lane in seen:
                            continue
                        seen.add(lane)
                        update_id = update["update_id"]
                        if lane in busy or update_id in in_flight:
                            continue
                        if retry_at.get(update_id, 0.0) > now:
                            wait = min(wait, retry_at[update_id] - now)
                            continue
                        if len(in_flight) >= self._webhook["max_connections"]:
                            break
                        busy.add(lane)
                        in_flight[update_id] = asyncio.create_task(self._push_one(
                            session, update, lane, busy, in_flight, retry_at, attempts))
                    await self.wait_change(max(wait, 0.005))
            finally:
                for task in in_flight.values():
                    task.cancel()

    async def _push_one(self, session: aiohttp.ClientSession, update: JSONDict, lane: Any,
                        busy: set[Any], in_flight: dict[int, asyncio.Task],
                        retry_at: dict[int, float], attempts: dict[int, int]) -> None:
        update_id = update["update_id"]
        webhook = self._webhook
        try:
            if webhook is None:
                return
            headers = {"Content-Type": "application/json"}
            if webhook["secret_token"]:
                headers["X-Telegram-Bot-Api-Secret-Token"] = webhook["secret_token"]
            body = json.dumps(update, ensure_ascii=False).encode()
            try:
                async with session.post(webhook["url"], data=body, headers=headers,
                                        timeout=aiohttp.ClientTimeout(total=self.webhook_timeout)
                                        ) as response:
                    await response.read()
                    status: int | str = response.status
                    reason = response.reason or ""
            except (aiohttp.ClientError, TimeoutError) as error:
                status, reason = type(error).__name__, ""
                message = ("Connection timed out" if isinstance(error, TimeoutError)
                           else "Connection refused")
            else:
                message = f"Wrong response from the webhook: {status} {reason}".rstrip()
            self._webhook_log.append((update_id, status))
            self.stats["webhook"] += 1
            if isinstance(status, int) and 200 <= status < 300:
                self._forget_update(update_id)
                self._max_fetched_id = max(self._max_fetched_id, update_id)
                attempts.pop(update_id, None)
                retry_at.pop(update_id, None)
                return
            self._webhook_error = (int(self.now()), message)
            tries = attempts[update_id] = attempts.get(update_id, 0) + 1
            retry_at[update_id] = time.monotonic() + min(
                self.webhook_retry_first * 2 ** (tries - 1), self.webhook_retry_max)
        finally:
            busy.discard(lane)
            in_flight.pop(update_id, None)
            self._notify()

    def _forget_update(self, update_id: int) -> None:
        for index, queued in enumerate(self._updates):
            if queued["update_id"] == update_id:
                del self._updates[index]
                return
