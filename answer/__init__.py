"""Extractive answers with verified, formally cited quotes (`kb ask`)."""

from answer.compose import ask

__all__ = ["ask"]
