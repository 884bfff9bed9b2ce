from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from carenet.accounts.permissions import Can
from carenet.accounts.selectors import actor_for_user


def permissions(request: HttpRequest) -> dict[str, Any]:
    """``actor`` and ``can`` for every template: ``{% if can.patient_find %}`` asks the permission table. Built only
    when a template asks."""
    user = getattr(request, "user", None)
    return {
        "actor": SimpleLazyObject(lambda: actor_for_user(user)),
        "can": SimpleLazyObject(lambda: Can(actor_for_user(user))),
    }
