"""The one way a conversation is built: its buttons belong to the chat's conversation."""

from __future__ import annotations

import warnings
from typing import Any

from telegram.ext import ConversationHandler


def chat_conversation(**options: Any) -> ConversationHandler:
    """A ``ConversationHandler`` whose button presses belong to the chat's conversation
    (``per_message=False``, on purpose: a prompt's or a form's buttons start or answer a
    per-chat question). PTB warns about that setting for the opposite case; the warning is
    silenced here, once, instead of around every conversation."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*per_message.*")
        return ConversationHandler(**options)
