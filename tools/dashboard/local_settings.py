# Horizon's local_settings for tools/dashboard.sh: the dashboard on
# loopback against the cloud-in-a-box's Keystone. Installed by "up" as
# openstack_dashboard/local/local_settings.py of the dashboard's own
# virtualenv; what changes per run (Keystone's URL, the region, where the
# static files are) is read from the JSON file MAGNUM_DASHBOARD_CONFIG
# names, which "up" writes.

import json
import os

_CONFIG = json.load(open(os.environ['MAGNUM_DASHBOARD_CONFIG']))

# A test deployment: Horizon's own error pages (not Django's debug page)
# are what a user sees, so DEBUG stays off.
DEBUG = False
ALLOWED_HOSTS = ['127.0.0.1', 'localhost']
with open(_CONFIG['secret_key_file']) as _handle:
    SECRET_KEY = _handle.read().strip()

# Plain HTTP on loopback.
SESSION_COOKIE_SECURE = False
CSRF_COOKIE_SECURE = False
# Sessions in files of the state directory, shared by gunicorn's workers.
# Not Horizon's default signed cookies: the session holds the token with
# its whole catalog, and the cloud-in-a-box's catalog (every test's own
# region, the stand-in APIs) outgrows the 4 kB a browser keeps of a
# cookie: the browser then drops it and the user's choices (the region)
# with it. The cache only holds per-process look-ups.
SESSION_ENGINE = 'django.contrib.sessions.backends.file'
SESSION_FILE_PATH = _CONFIG['session_dir']
CACHES = {'default': {
    'BACKEND': 'django.core.cache.backends.locmem.LocMemCache'}}
EMAIL_BACKEND = 'django.core.mail.backends.console.EmailBackend'

OPENSTACK_KEYSTONE_URL = _CONFIG['keystone_url']
OPENSTACK_KEYSTONE_DEFAULT_DOMAIN = 'Default'
OPENSTACK_KEYSTONE_DEFAULT_ROLE = 'member'
OPENSTACK_KEYSTONE_MULTIDOMAIN_SUPPORT = False
OPENSTACK_ENDPOINT_TYPE = 'publicURL'
# The panels call the endpoints of the region Keystone's own endpoint is
# in (RegionOne); a Magnum registered in another region is reached by
# choosing that region in the header's menu (the test does).

# Static files: collected and compressed offline at "up" (no network,
# no compressing while serving), served by WhiteNoise (wsgi.py).
STATIC_ROOT = _CONFIG['static_root']
STATIC_URL = '/static/'
COMPRESS_OFFLINE = True
COMPRESS_ENABLED = True

# The cloud-in-a-box has read-only stand-ins for Glance, Nova and Neutron
# (what magnum-ui's forms read) and nothing else: keep Horizon from asking
# for Neutron or Nova features it would only log errors about.
OPENSTACK_NEUTRON_NETWORK = {'enable_router': False, 'enable_quotas': False,
                             'enable_distributed_router': False,
                             'enable_ha_router': False,
                             'enable_fip_topology_check': False}
OPENSTACK_HYPERVISOR_FEATURES = {'can_set_mount_point': False,
                                 'can_set_password': False}

TIME_ZONE = 'UTC'
LOGGING = {
    'version': 1,
    'disable_existing_loggers': False,
    'formatters': {'plain': {
        'format': '%(asctime)s %(levelname)s %(name)s %(message)s'}},
    'handlers': {'console': {'class': 'logging.StreamHandler',
                             'formatter': 'plain'}},
    'root': {'handlers': ['console'], 'level': 'INFO'},
    'loggers': {
        'django.db.backends': {'level': 'WARNING'},
        'keystoneauth': {'level': 'WARNING'},
        'iso8601': {'level': 'WARNING'},
    },
}
