"""The ASGI entry point: pages and the API (Django) and the consultation rooms' sockets (Channels) from one server
(``uvicorn config.asgi:application``). In DEBUG (the demo) it also serves the static files, as runserver did."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()

# ASGI servers run no system checks: with DEBUG off, refuse to serve on a guardrail that is not in place.
from carenet.core.checks import refuse_to_start  # noqa: E402

refuse_to_start()

from channels.routing import ProtocolTypeRouter  # noqa: E402
from django.conf import settings  # noqa: E402
from django.contrib.staticfiles.handlers import ASGIStaticFilesHandler  # noqa: E402

from carenet.realtime.routing import websocket_application  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": ASGIStaticFilesHandler(django_application) if settings.DEBUG else django_application,
        "websocket": websocket_application(),
    }
)
