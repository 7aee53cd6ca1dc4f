# The dashboard's WSGI application for gunicorn (tools/dashboard.sh):
# Horizon, with the static files "up" collected and compressed served by
# WhiteNoise from the same process (no web server in front on loopback).

import os

os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'openstack_dashboard.settings')

from django.conf import settings  # noqa: E402
from openstack_dashboard.wsgi import application as _horizon  # noqa: E402
from whitenoise import WhiteNoise  # noqa: E402

application = WhiteNoise(_horizon, root=settings.STATIC_ROOT,
                         prefix=settings.STATIC_URL)
