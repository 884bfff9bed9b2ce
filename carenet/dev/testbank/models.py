"""The test bank's state: its signing key, the authorization codes it issued and its access tokens.

Codes and tokens are stored only as SHA-256 hashes; a code works once, for a minute."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class SigningKey(models.Model):
    """The RSA key that signs ID tokens, generated on first use and kept in the database (development only)."""

    kid = models.CharField(_("key ID"), max_length=100, unique=True)
    private_pem = models.TextField(_("private key (PEM)"))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("test bank signing key")
        verbose_name_plural = _("test bank signing keys")

    def __str__(self) -> str:
        return self.kid


class AuthorizationCode(models.Model):
    """An authorization code given to the client at the redirect; exchanged once at /token."""

    code_hash = models.CharField(_("code hash"), max_length=64, unique=True)
    client_id = models.CharField(_("client ID"), max_length=200)
    redirect_uri = models.URLField(_("redirect URI"), max_length=500)
    nonce = models.CharField(_("nonce"), max_length=200)
    code_challenge = models.CharField(_("PKCE code challenge"), max_length=128)
    claims = models.JSONField(_("claims"))
    created_at = models.DateTimeField(_("created at"))
    expires_at = models.DateTimeField(_("expires at"))
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("test bank authorization code")
        verbose_name_plural = _("test bank authorization codes")

    def __str__(self) -> str:
        return f"{self.client_id} {self.created_at:%Y-%m-%d %H:%M}"


class AccessToken(models.Model):
    """An access token for /userinfo."""

    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    claims = models.JSONField(_("claims"))
    expires_at = models.DateTimeField(_("expires at"))

    class Meta:
        verbose_name = _("test bank access token")
        verbose_name_plural = _("test bank access tokens")

    def __str__(self) -> str:
        return self.token_hash[:12]
