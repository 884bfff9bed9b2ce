"""Models of carenet.encounters."""

from __future__ import annotations
