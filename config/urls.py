from django.conf import settings
from django.conf.urls.i18n import i18n_patterns
from django.contrib import admin
from django.urls import URLPattern, URLResolver, include, path

from carenet.api.api import api

urlpatterns: list[URLPattern | URLResolver] = [
    path("api/v1/", api.urls),
    path("sms/", include("carenet.messaging.urls")),
]
urlpatterns += i18n_patterns(
    # The language switch under the page's own prefix (/en/i18n/setlang/ on English pages): it can read the English
    # address it is sent from, and answer with the same page in Polish (BEY-5, issue 14).
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("staff/", include("carenet.staff.urls")),
    path("", include("carenet.portal.urls")),
    prefix_default_language=False,
)
if settings.CARENET_SMS_DEV_INBOX:
    # SMS-4: the developer inbox of the local gateway (development only: carenet.dev refuses to start in production).
    # Among the language-prefixed pages, so that it keeps the chosen language (/en/sms/dev/, BEY-5).
    urlpatterns += i18n_patterns(path("sms/dev/", include("carenet.dev.urls")), prefix_default_language=False)
if settings.CARENET_TEST_BANK_ENABLED:
    # ACC-5: the local test identity provider (demo and tests only; off in production settings).
    urlpatterns.append(path("dev-bank/", include("carenet.dev.testbank.urls")))
if settings.DEBUG:
    from django.conf.urls.static import static

    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
