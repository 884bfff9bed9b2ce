"""The API's own records: bearer tokens for the mobile apps and the answers kept for idempotent writes."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from carenet.accounts.models import password_changed


class AccessToken(models.Model):
    """A bearer token of a mobile app. Only the SHA-256 of the token is stored: a leaked table opens no account."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    key_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("created at"))
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)
    expires_at = models.DateTimeField(_("expires at"))
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.user} – {self.name or self.pk}"


class IdempotencyRecord(models.Model):
    """The first answer to an API write sent with an ``Idempotency-Key``: a retry with the same key and body gets
    it again; the same key with another body is refused. Kept for a day."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("user")
    )
    key = models.CharField(_("key"), max_length=255)
    request_fingerprint = models.CharField(_("request fingerprint"), max_length=64)
    # Null while the first request is still being answered.
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    response_body = models.JSONField(_("response body"), null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="one_idempotency_record_per_user_key")]

    def __str__(self) -> str:
        return f"{self.user_id}:{self.key}"


def _revoke_tokens_on_password_change(sender: Any, *, user: Any, now: Any, **kwargs: Any) -> None:
    """ACC-6: a password change or a reset by staff revokes the user's bearer tokens (same transaction)."""
    from carenet.api.auth import tokens_revoke_for

    tokens_revoke_for(user=user, now=now)


# Connected when the app registry imports this module, so every password change through the accounts services —
# whichever front door calls them — revokes the tokens; accounts itself imports nothing of the API.
password_changed.connect(_revoke_tokens_on_password_change, dispatch_uid="carenet.api.revoke_tokens_on_password_change")
