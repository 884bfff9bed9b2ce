"""The ASGI entry point: pages and the API (Django) and the consultation rooms' sockets (Channels) from one server
(``scripts/serve``: gunicorn with uvicorn workers). Static files are WhiteNoise's, a middleware (settings); the
synchronous stack runs on a pool of threads per process (:class:`config.asgi_handler.ThreadedASGIHandler`)."""

import os

import django

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
django.setup(set_prefix=False)

from config.asgi_handler import ThreadedASGIHandler  # noqa: E402 - Django is set up first

django_application = ThreadedASGIHandler()

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
