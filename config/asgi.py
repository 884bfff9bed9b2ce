import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()

# ASGI servers run no system checks: with DEBUG off, refuse to serve on a guardrail that is not in place.
from carenet.core.checks import refuse_to_start  # noqa: E402

refuse_to_start()
