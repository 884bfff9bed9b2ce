"""Models of carenet.renewals."""

from __future__ import annotations
