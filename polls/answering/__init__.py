"""Answering: the member's way through a poll, from a token or an open link to a response."""
