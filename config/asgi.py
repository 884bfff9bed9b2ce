"""The ASGI entry point: pages and the API (Django) and the consultation rooms' sockets (Channels) from one server
(``scripts/serve``: gunicorn with uvicorn workers). Static files are WhiteNoise's, a middleware (settings)."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django_application = get_asgi_application()

# ASGI servers run no system checks: with DEBUG off, refuse to serve on a guardrail that is not in place.
from carenet.core.checks import refuse_to_start  # noqa: E402

refuse_to_start()

from channels.routing import ProtocolTypeRouter  # noqa: E402

from carenet.realtime.routing import websocket_application  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_application,
        "websocket": websocket_application(),
    }
)
