from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class HtmxHttpRequest(HttpRequest):
    """A request as the HTMX middleware leaves it: ``request.htmx`` says whether HTMX sent it."""

    htmx: HtmxDetails
