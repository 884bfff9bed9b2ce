"""The live tests' ASGI server (``tests.live_server``)."""

from tests.live_server import asgi_server  # noqa: F401
