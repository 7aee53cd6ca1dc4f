# Licensed under the Apache License, Version 2.0 (the "License"); you may
# not use this file except in compliance with the License. You may obtain
# a copy of the License at
#
#      http://www.apache.org/licenses/LICENSE-2.0
#
# Unless required by applicable law or agreed to in writing, software
# distributed under the License is distributed on an "AS IS" BASIS, WITHOUT
# WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied. See the
# License for the specific language governing permissions and limitations
# under the License.

"""The cloud-in-a-box (a real Keystone and Heat on loopback, made by
tools/cloud-in-a-box.sh) as the functional tests see it.

Its Heat runs with the test cloud's stand-ins for Nova, Neutron, Octavia
and Cinder (tools/cloud-in-a-box/standins, test fixtures): a server is a
container on the private Docker engine, found by the labels below;
:meth:`Cloud.heat` drives stacks through Heat's API. Its read-only
stand-ins for the Glance, Nova and Neutron APIs (tools/cloud-in-a-box/apis,
test fixtures) are in the catalog; :meth:`Cloud.standin_apis` gives their
URLs.

The ``cloud`` session fixture (magnum/tests/functional/conftest.py) runs
``tools/cloud-in-a-box.sh up`` once per test run, which reuses a cloud that
is already up, and gives the tests a :class:`Cloud`. It leaves the cloud
running at the end (the next run starts in a tenth of a second instead of a
minute); ``tools/cloud-in-a-box.sh down`` stops it.

Where the cloud cannot be brought up the tests that use it skip and say
why; under ``CI=true`` they fail, with the end of the failing log.
"""

import configparser
import contextlib
import copy
import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
import uuid

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

from magnum.tests.functional import processes

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
SCRIPT = os.path.join(ROOT, 'tools', 'cloud-in-a-box.sh')
STATE_DIR = os.environ.get('MAGNUM_CLOUD_STATE', '/var/tmp/magnum-cloud')
# The first install takes about 3 minutes (pip, then the services).
UP_TIMEOUT = int(os.environ.get('MAGNUM_CLOUD_UP_TIMEOUT', '1200'))
MAGNUM_SERVICE_TYPE = 'container-infrastructure-management'
# The type upstream's DevStack registers (magnum-ui looks for it by name).
MAGNUM_UPSTREAM_SERVICE_TYPE = 'container-infra'
# Labels the OS::Nova::Server stand-in puts on its containers and networks
# (tools/cloud-in-a-box/standins/plugins/standin_server.py).
STANDIN_LABEL = 'org.openstack.magnum.standin.'
STANDIN_SERVER = STANDIN_LABEL + 'server'
STANDIN_STACK = STANDIN_LABEL + 'stack'
STANDIN_ROOT_STACK = STANDIN_LABEL + 'root-stack'
STANDIN_RESOURCE = STANDIN_LABEL + 'resource'
STANDIN_NETWORK = STANDIN_LABEL + 'network'
INTERFACES = ('public', 'internal', 'admin')
# The service types of the read-only stand-in APIs cloud-in-a-box.sh up
# registers (tools/cloud-in-a-box/apis/standin_apis.py).
STANDIN_API_TYPES = ('image', 'compute', 'network')
# The keyword arguments of keystoneauth1's v3.Password among those the
# user dicts carry (they also carry user_id and project_id for the tests).
PASSWORD_KWARGS = ('auth_url', 'username', 'user_id', 'password',
                   'project_name', 'project_id', 'user_domain_name',
                   'user_domain_id', 'project_domain_name',
                   'project_domain_id')


class CloudUnavailable(Exception):
    """The cloud could not be brought up; the message says why."""


def bring_up(state_dir=STATE_DIR, timeout=UP_TIMEOUT):
    """Run ``cloud-in-a-box.sh up`` and return the :class:`Cloud`."""
    env = dict(os.environ, MAGNUM_CLOUD_STATE=state_dir)
    try:
        result = subprocess.run(['bash', SCRIPT, 'up'], capture_output=True,
                                text=True, timeout=timeout, env=env,
                                stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired as error:
        raise CloudUnavailable('%s up took more than %ss:\n%s' % (
            SCRIPT, timeout, _text(error.stderr)[-6000:]))
    if result.returncode != 0:
        output = result.stdout + result.stderr
        raise CloudUnavailable('%s up failed (exit %d):\n%s' % (
            SCRIPT, result.returncode, output[-6000:]))
    return Cloud.load(os.path.join(state_dir, 'cloud.json'))


def _text(output):
    if isinstance(output, bytes):
        return output.decode(errors='replace')
    return output or ''


class Cloud:
    """What a test needs of the cloud: URLs, users and sessions.

    ``admin`` and ``service_user`` are keystoneauth password kwargs;
    ``projects`` is ``{'a': {'id', 'name', 'users': {'reader': {...},
    'member': {...}, 'admin': {...}}}, 'b': {...}}``, each user a dict of
    password kwargs plus ``user_id`` and ``project_id``.
    """

    def __init__(self, state):
        self.state = state
        self.state_dir = state['state_dir']
        self.keystone_url = state['keystone_url']
        self.auth_url = state['auth_url']
        self.region = state['region']
        self.heat_url = state['heat_url']
        self.admin = state['admin']
        self.service_user = state['service_user']
        self.projects = state['projects']
        self.logs_dir = state['logs']
        self._admin_session = None

    @classmethod
    def load(cls, path):
        with open(path) as handle:
            return cls(json.load(handle))

    # Sessions --------------------------------------------------------------

    def auth(self, user, auth_url=None):
        kwargs = {key: value for key, value in user.items()
                  if key in PASSWORD_KWARGS}
        # Name and id of the same user or project would both be sent;
        # the names are enough.
        if 'username' in kwargs:
            kwargs.pop('user_id', None)
        if 'project_name' in kwargs:
            kwargs.pop('project_id', None)
        if auth_url:
            kwargs['auth_url'] = auth_url
        return v3.Password(**kwargs)

    def session(self, user, auth_url=None):
        """A keystoneauth Session authenticated as user (one of the dicts
        above), optionally against another Keystone URL."""
        return ks_session.Session(auth=self.auth(user, auth_url), timeout=30)

    def admin_session(self):
        if self._admin_session is None:
            self._admin_session = self.session(self.admin)
        return self._admin_session

    def users(self):
        """[(project key, role, user dict)] of every test user."""
        return [(key, role, user)
                for key, project in sorted(self.projects.items())
                for role, user in sorted(project['users'].items())]

    def client_env(self, user, region=None):
        """Environment for the openstack CLI with user's password auth."""
        env = {k: v for k, v in os.environ.items()
               if not k.startswith('OS_')}
        env.update({
            'OS_AUTH_TYPE': 'password',
            'OS_AUTH_URL': user['auth_url'],
            'OS_IDENTITY_API_VERSION': '3',
            'OS_USERNAME': user['username'],
            'OS_PASSWORD': user['password'],
            'OS_PROJECT_NAME': user['project_name'],
            'OS_USER_DOMAIN_NAME': user['user_domain_name'],
            'OS_PROJECT_DOMAIN_NAME': user['project_domain_name'],
            'OS_REGION_NAME': region or self.region,
            'PYTHONWARNINGS': 'ignore',
        })
        return env

    # Magnum's side ---------------------------------------------------------

    def magnum_settings(self):
        """{section: {option: value}} for magnum.conf: auth_strategy
        keystone, [keystone_authtoken] and [keystone_auth] for Magnum's
        service user. A fresh copy each time (callers may change it)."""
        return copy.deepcopy(self.state['magnum_conf'])

    def _admin(self, method, path, **kwargs):
        return self.admin_session().request(self.auth_url + path, method,
                                            **kwargs)

    def _service(self, service_type, name):
        services = self._admin('GET', '/services', params={
            'type': service_type}).json()['services']
        if services:
            return services[0]
        return self._admin('POST', '/services', json={'service': {
            'type': service_type, 'name': name,
            'enabled': True}}).json()['service']

    def register_endpoints(self, service_type, url, region=None):
        """Point service_type's endpoints (public, internal, admin) of
        region (the cloud's region by default; made when missing) at
        url."""
        region = region or self.region
        try:
            self._admin('GET', '/regions/%s' % region)
        except ks_exceptions.NotFound:
            self._admin('POST', '/regions', json={'region': {'id': region}})
        service = self._service(service_type, service_type)
        endpoints = self._admin('GET', '/endpoints', params={
            'service_id': service['id']}).json()['endpoints']
        url = url.rstrip('/')
        for interface in INTERFACES:
            rows = [e for e in endpoints if e['interface'] == interface
                    and e.get('region_id') == region]
            for extra in rows[1:]:
                self._admin('DELETE', '/endpoints/%s' % extra['id'])
            if not rows:
                self._admin('POST', '/endpoints', json={'endpoint': {
                    'service_id': service['id'], 'interface': interface,
                    'url': url, 'region_id': region, 'enabled': True}})
            elif rows[0]['url'] != url:
                self._admin('PATCH', '/endpoints/%s' % rows[0]['id'],
                            json={'endpoint': {'url': url}})

    def register_magnum(self, url, region=None):
        """Point the endpoints (public, internal, admin) of both Magnum
        service types in region (the cloud's region by default) at url,
        a Magnum API root without /v1 (as tools/cloud-in-a-box.sh
        register-magnum does)."""
        for service_type in (MAGNUM_SERVICE_TYPE,
                             MAGNUM_UPSTREAM_SERVICE_TYPE):
            self.register_endpoints(service_type, url, region)

    def remove_region(self, region):
        """Delete a region made by register_magnum and its endpoints."""
        endpoints = self._admin('GET', '/endpoints', params={
            'region_id': region}).json()['endpoints']
        for endpoint in endpoints:
            if endpoint.get('region_id') == region:
                self._admin('DELETE', '/endpoints/%s' % endpoint['id'])
        with contextlib.suppress(ks_exceptions.NotFound):
            self._admin('DELETE', '/regions/%s' % region)

    @contextlib.contextmanager
    def region_of_own(self, endpoints):
        """A region of the catalog of its own, with endpoints
        {service_type: url}, removed afterwards: test runs sharing the
        cloud do not repoint each other's services. Yields its name
        (clients take it as region_name / OS_REGION_NAME)."""
        region = 'magnum-test-%s' % uuid.uuid4().hex[:8]
        try:
            for service_type, url in endpoints.items():
                self.register_endpoints(service_type, url, region=region)
            yield region
        finally:
            self.remove_region(region)

    def magnum_region(self, url):
        """region_of_own with Magnum's endpoints at url."""
        return self.region_of_own({MAGNUM_SERVICE_TYPE: url})

    def standin_apis(self, region=None):
        """{service type: public URL} of the read-only Glance, Nova and
        Neutron stand-ins (tools/cloud-in-a-box/apis, a test fixture) as
        the catalog lists them in region (the cloud's by default): what a
        region of a test's own adds so that Horizon's forms and Magnum's
        look-ups find them there too."""
        region = region or self.region
        found = {}
        for service_type in STANDIN_API_TYPES:
            services = self._admin('GET', '/services', params={
                'type': service_type}).json()['services']
            for service in services:
                endpoints = self._admin('GET', '/endpoints', params={
                    'service_id': service['id'],
                    'interface': 'public'}).json()['endpoints']
                for endpoint in endpoints:
                    if endpoint.get('region_id') == region:
                        found[service_type] = endpoint['url']
        missing = sorted(set(STANDIN_API_TYPES) - set(found))
        if missing:
            raise CloudUnavailable(
                'the catalog has no %s endpoint in %s: tools/cloud-in-a-'
                'box.sh up registers the stand-in APIs' % (
                    ', '.join(missing), region))
        return found

    # Heat ------------------------------------------------------------------

    def heat(self, user):
        """:class:`HeatStacks` of user's project."""
        session = self.session(user)
        return HeatStacks(session, '%s/v1/%s' % (
            self.heat_url.rstrip('/'), session.get_project_id()))

    # Keystone processes ----------------------------------------------------

    def keystone_process(self, directory, port, config=None):
        """One more Keystone on the cloud's database and keys (so it
        validates the cloud's tokens), for a test to stop and start;
        config: {section: {option: value}} over the cloud's keystone.conf
        (e.g. a short [token] expiration for the tokens it issues)."""
        return KeystoneProcess(self.state['keystone'], directory, port,
                               config)

    def log_tail(self, name, size=4000):
        path = os.path.join(self.logs_dir, '%s.log' % name)
        try:
            with open(path, errors='replace') as handle:
                return handle.read()[-size:]
        except OSError:
            return ''


class HeatStacks:
    """Stacks of one project through Heat's REST API (in-process: no CLI
    start-up per call)."""

    def __init__(self, session, url):
        self.session = session
        self.url = url

    def create(self, name, template, parameters=None, environment=None,
               files=None, timeout_mins=5):
        """POST the stack (template: a dict or HOT text); its id."""
        body = {'stack_name': name, 'template': template,
                'timeout_mins': timeout_mins,
                'parameters': parameters or {},
                'environment': environment or {}, 'files': files or {}}
        reply = self.session.post(self.url + '/stacks', json=body)
        return reply.json()['stack']['id']

    def get(self, name_or_id):
        """The stack (a dict), or None when Heat has none (or it is
        deleted)."""
        reply = self.session.get('%s/stacks/%s' % (self.url, name_or_id),
                                 raise_exc=False)
        if reply.status_code == 404:
            return None
        reply.raise_for_status()
        stack = reply.json()['stack']
        if stack['stack_status'] == 'DELETE_COMPLETE':
            return None
        return stack

    def wait(self, name_or_id, timeout=120):
        """The stack once no action is in progress on it."""
        deadline = time.monotonic() + timeout
        while True:
            stack = self.get(name_or_id)
            if stack is None or not stack['stack_status'].endswith(
                    '_IN_PROGRESS'):
                return stack
            if time.monotonic() > deadline:
                raise AssertionError('stack %s still %s after %d s' % (
                    name_or_id, stack['stack_status'], timeout))
            time.sleep(0.5)

    @staticmethod
    def outputs(stack):
        return {output['output_key']: output.get('output_value')
                for output in stack.get('outputs') or []}

    def delete(self, name_or_id, timeout=120):
        """Delete the stack and wait until it is gone."""
        self.session.delete('%s/stacks/%s' % (self.url, name_or_id),
                            raise_exc=False)
        stack = self.wait(name_or_id, timeout)
        if stack is not None:
            raise AssertionError('stack %s did not go: %s %s' % (
                name_or_id, stack['stack_status'],
                stack.get('stack_status_reason')))


class KeystoneProcess:
    """A Keystone (gunicorn) of the cloud on a port of the test's."""

    def __init__(self, settings, directory, port, config=None):
        self.settings = settings
        self.port = port
        self.url = 'http://127.0.0.1:%d' % port
        self.log_path = os.path.join(str(directory),
                                     'keystone-%d.log' % port)
        self.config_files = [settings['config_file']]
        if config:
            parser = configparser.ConfigParser(interpolation=None)
            parser.read_dict({section: {k: str(v) for k, v in opts.items()}
                              for section, opts in config.items()})
            path = os.path.join(str(directory), 'keystone-%d.conf' % port)
            with open(path, 'w') as handle:
                parser.write(handle)
            self.config_files.append(path)
        self.process = None

    def start(self, timeout=60):
        log = open(self.log_path, 'ab')
        try:
            self.process = subprocess.Popen(
                [self.settings['gunicorn'], '--no-control-socket',
                 '--pythonpath', self.settings['pythonpath'],
                 '--bind', '127.0.0.1:%d' % self.port, '--workers', '1',
                 '--threads', '4', '--graceful-timeout', '2',
                 'keystone_wsgi:application'],
                stdout=log, stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL, start_new_session=True,
                preexec_fn=processes.die_with_parent,
                env=dict(os.environ, PYTHONWARNINGS='ignore',
                         MAGNUM_CLOUD_KEYSTONE_CONF=os.pathsep.join(
                             self.config_files)))
        finally:
            log.close()
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.answers():
                return self
            if self.process.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise CloudUnavailable('Keystone on port %d did not start:\n%s' % (
            self.port, self.log()[-4000:]))

    def answers(self):
        opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
        try:
            with opener.open(self.url + '/v3', timeout=2) as reply:
                return reply.status == 200
        except (OSError, urllib.error.URLError):
            return False

    def stop(self, timeout=20):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(10)

    def log(self):
        with open(self.log_path, errors='replace') as handle:
            return handle.read()
