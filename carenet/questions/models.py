"""Models of carenet.questions."""

from __future__ import annotations
