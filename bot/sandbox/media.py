"""sendDocument, sendPhoto, sendVideo and sendMediaGroup: each file (uploaded, or a known
file id) stored and put in the Message as Telegram does (a photo as its scaled sizes).
"""

from __future__ import annotations

from typing import Any

from bot.sandbox.records import ApiError, FileRecord, JSONDict, Sent, SentFile, Upload, bad_request

#: Uploads: "Bots can currently send files of any type of up to 50 MB in size" (Bot API docs,
#: sendDocument); api.telegram.org's front refuses a bigger request with HTTP 413 before
#: telegram-bot-api sees it. Taken at its stricter reading, 50,000,000 bytes; a local server
#: (``local_mode``) takes up to 2000 MB (telegram-bot-api README).
MAX_UPLOAD_BYTES = 50_000_000
MAX_LOCAL_UPLOAD_BYTES = 2000 * 1024 * 1024
#: Photos: tdlib files/FileLoaderUtils.cpp, check_full_local_location: MAX_PHOTO_SIZE = 10 MB
#: (10 << 20), "File of size N bytes is too big for a photo; the maximum size is M bytes".
MAX_PHOTO_BYTES = 10 * (1 << 20)


class MediaMixin:
    """Part of `FakeTelegram` (its state is set up in ``FakeTelegram.__init__``): sending
    media, over the file store of `FilesMixin` and the recording of `MessagesMixin`."""

    def _media_payload(
        self, p: JSONDict, kind: str, value: Any, item: JSONDict | None = None
    ) -> tuple[JSONDict, SentFile]:
        """The Message field (``{"document": {...}}`` etc.) and the SentFile for one item."""
        src = item if item is not None else p
        resolved = self._input_file(p, value, kind)
        if isinstance(resolved, Upload):
            self._check_upload_size(resolved, kind)
        extra: JSONDict = {}
        thumb_value = src.get("thumbnail")
        if thumb_value is not None and kind != "photo":
            thumb = self._input_file(p, thumb_value, "thumbnail")
            if isinstance(thumb, FileRecord):
                extra["thumbnail"] = self._photo_size(thumb)
            else:
                extra["thumbnail"] = self.thumbnail_size(thumb.data)
        if kind == "photo":
            if isinstance(resolved, FileRecord):
                payload: JSONDict = {"photo": [self._photo_size(resolved)]}
            else:
                payload = {"photo": self.photo_sizes(resolved.data)}
            rec = self._files[payload["photo"][-1]["file_id"]]
        else:
            rec = self._stored(resolved, kind)
            if kind == "video":
                if not rec.mime_type:
                    rec.mime_type = "video/mp4"
                payload = {
                    "video": self.file_object(
                        rec,
                        duration=int(src.get("duration") or rec.meta.get("duration") or 0),
                        width=int(src.get("width") or rec.meta.get("width") or 0),
                        height=int(src.get("height") or rec.meta.get("height") or 0),
                        **extra,
                    )
                }
            else:
                payload = {kind: self.file_object(rec, **extra)}
        sent_file = SentFile(
            file_name=rec.file_name,
            mime_type=rec.mime_type or ("image/jpeg" if kind == "photo" else None),
            data=self._blobs[rec.file_unique_id],
            file_id=rec.file_id,
            file_unique_id=rec.file_unique_id,
            kind=kind,
        )
        return payload, sent_file

    def _check_upload_size(self, upload: Upload, kind: str) -> None:
        size = len(upload.data)
        if size > (MAX_LOCAL_UPLOAD_BYTES if self.local_mode else MAX_UPLOAD_BYTES):
            raise ApiError(413, "Request Entity Too Large")
        if kind == "photo" and size > MAX_PHOTO_BYTES:
            raise bad_request(
                f"file of size {size} bytes is too big for a photo; "
                f"the maximum size is {MAX_PHOTO_BYTES} bytes"
            )

    def _send_media(self, p: JSONDict, kind: str, method: str) -> JSONDict:
        chat_id = self._resolve_chat(p.get("chat_id"))
        caption = p.get("caption")
        plain, ents = ("", [])
        if caption:
            plain, ents = self._text_and_entities(
                caption, p.get("parse_mode"), p.get("caption_entities"), caption=True
            )
        markup = self._check_markup(p.get("reply_markup"))
        reply_id, reply_msg = self._reply_to(chat_id, p)
        payload, sent_file = self._media_payload(p, kind, p.get(kind))
        msg = self._new_bot_message(chat_id, reply_to_message=reply_msg, **payload)
        if plain:
            msg["caption"] = plain
            if ents:
                msg["caption_entities"] = ents
        if markup and "inline_keyboard" in markup:
            msg["reply_markup"] = markup
        sent = Sent(
            method=method,
            chat_id=chat_id,
            message_id=msg["message_id"],
            text=str(caption) if caption else None,
            reply_markup=markup,
            parse_mode=p.get("parse_mode"),
            entities=ents or None,
            date=msg["date"],
            plain_text=plain or None,
            reply_to_message_id=reply_id,
            document=sent_file if kind == "document" else None,
            photo=sent_file.data if kind == "photo" else None,
            video=sent_file if kind == "video" else None,
        )
        self._record_sent(sent, msg, p)
        return msg

    def _m_senddocument(self, p: JSONDict) -> JSONDict:
        return self._send_media(p, "document", "sendDocument")

    def _m_sendphoto(self, p: JSONDict) -> JSONDict:
        return self._send_media(p, "photo", "sendPhoto")

    def _m_sendvideo(self, p: JSONDict) -> JSONDict:
        return self._send_media(p, "video", "sendVideo")

    def _m_sendmediagroup(self, p: JSONDict) -> list[JSONDict]:
        chat_id = self._resolve_chat(p.get("chat_id"))
        media = p.get("media")
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise bad_request("wrong number of media in the album, must be 2-10")
        reply_id, reply_msg = self._reply_to(chat_id, p)
        group_id = str(next(self._media_group_seq))
        messages: list[JSONDict] = []
        files: list[SentFile] = []
        prepared = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") not in (
                "photo",
                "video",
                "document",
                "audio",
            ):
                raise bad_request("can't parse InputMedia: unsupported media type")
            kind = str(item["type"])
            caption = item.get("caption")
            plain, ents = ("", [])
            if caption:
                plain, ents = self._text_and_entities(
                    caption, item.get("parse_mode"), item.get("caption_entities"), caption=True
                )
            payload, sent_file = self._media_payload(p, kind, item.get("media"), item)
            sent_file.caption = str(caption) if caption else None
            prepared.append((payload, sent_file, plain, ents))
        for payload, sent_file, plain, ents in prepared:
            msg = self._new_bot_message(
                chat_id, reply_to_message=reply_msg, media_group_id=group_id, **payload
            )
            if plain:
                msg["caption"] = plain
                if ents:
                    msg["caption_entities"] = ents
            messages.append(msg)
            files.append(sent_file)
        first_caption = next((f.caption for f in files if f.caption), None)
        sent = Sent(
            method="sendMediaGroup",
            chat_id=chat_id,
            message_id=messages[0]["message_id"],
            text=first_caption,
            date=messages[0]["date"],
            media=files,
            plain_text=next((m.get("caption") for m in messages if m.get("caption")), None),
            message_ids=[m["message_id"] for m in messages],
            reply_to_message_id=reply_id,
        )
        for msg in messages[1:]:
            self._messages[(chat_id, msg["message_id"])] = msg
        self._record_sent(sent, messages[0], p)
        return messages
