import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_wsgi_application()

# gunicorn runs no system checks: with DEBUG off, refuse to serve on a guardrail that is not in place.
from carenet.core.checks import refuse_to_start  # noqa: E402

refuse_to_start()
