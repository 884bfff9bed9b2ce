"""The page of a form refused for its missing or expired CSRF token (settings.CSRF_FAILURE_VIEW): in the site's design,
the page's language and with the footer's help numbers, instead of Django's technical English page (BEY-5, issue 14)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return render(request, "403_csrf.html", status=403)
