"""What the bot remembers between deliveries: PR heads (fork check suites carry no PR), triage
decisions, comments waiting for a reaction, recent rescans and review comments already sent."""

from bot.state.base import PullHead, StateStore, Triage
from bot.state.sqlite import SQLiteStateStore

__all__ = ["PullHead", "SQLiteStateStore", "StateStore", "Triage"]
