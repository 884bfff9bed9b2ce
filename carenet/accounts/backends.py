"""ACC-2: logging in with the first password sent by SMS."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.backends import ModelBackend
from django.http import HttpRequest

from carenet.accounts import services
from carenet.accounts.models import User
from carenet.accounts.permissions import Action
from carenet.accounts.selectors import actor_for_user


class FirstPasswordBackend(ModelBackend):
    """Accepts an unexpired, unused first password once. Listed after axes' backend, so a wrong, expired or reused
    first password counts as a failed login like any other, and gets the same generic answer.

    Only the website accepts it (ACC-2: the patient sets their own password at the first login, which only the
    website can ask for): a door that cannot ask passes ``first_password=False`` and the SMS password stays unused.
    """

    def authenticate(
        self,
        request: HttpRequest | None,
        username: str | None = None,
        password: str | None = None,
        first_password: bool = True,
        **kwargs: Any,
    ) -> User | None:
        if not first_password or not username or not password:
            return None
        user = User.objects.filter(username=username).first()
        # ACC-2: first passwords are the patients' (the portal's users, as the permission table says).
        if (
            user is None
            or not self.user_can_authenticate(user)
            or actor_for_user(user).grant(Action.PORTAL_USE) is None
        ):
            return None
        if services.first_password_use(user=user, password=password):
            return user
        return None
