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

"""Keystone's side of the cloud-in-a-box, run by tools/cloud-in-a-box.sh
with the cloud's own Python (keystoneauth1 comes with Keystone).

    setup_cloud.py setup                 services, endpoints, users, projects;
                                         writes the state file (JSON)
    setup_cloud.py register-magnum URL [REGION]
                                         point the endpoints (public,
                                         internal, admin) of both Magnum
                                         service types at URL
    setup_cloud.py register-apis URL     register the read-only Glance,
                                         Nova and Neutron stand-ins
                                         (apis/standin_apis.py) served at
                                         URL as the image, compute and
                                         network services of RegionOne
    setup_cloud.py wait-heat SECONDS     wait for a heat-engine to report up
    setup_cloud.py env                   print the settings to use

Everything is find-or-create, so it can run again on a cloud that has it.
The settings come from the environment the script sets (MAGNUM_CLOUD_*).
"""

import json
import os
import sys
import time

from keystoneauth1 import exceptions as ks_exceptions
from keystoneauth1 import session as ks_session
from keystoneauth1.identity import v3

ENV = os.environ
STATE_FILE = ENV['MAGNUM_CLOUD_STATE_FILE']
REGION = 'RegionOne'
DOMAIN = 'Default'
KEYSTONE_URL = 'http://127.0.0.1:%s' % ENV['MAGNUM_CLOUD_KEYSTONE_PORT']
AUTH_URL = KEYSTONE_URL + '/v3'
HEAT_URL = 'http://127.0.0.1:%s' % ENV['MAGNUM_CLOUD_HEAT_PORT']
MAGNUM_SERVICE_TYPE = 'container-infrastructure-management'
# The type upstream's DevStack registers; Horizon's magnum-ui looks it up
# by this exact name. register-magnum points both at the same URL.
MAGNUM_UPSTREAM_SERVICE_TYPE = 'container-infra'
INTERFACES = ('public', 'internal', 'admin')
# The stand-in APIs (apis/standin_apis.py, a test fixture): (type, name,
# description, path under their URL), laid out as DevStack lays out the
# real services.
STANDIN_APIS = (
    ('image', 'glance', 'Image service: a read-only test fixture',
     '/image'),
    ('compute', 'nova', 'Compute service: a read-only test fixture',
     '/compute/v2.1'),
    ('network', 'neutron', 'Network service: a read-only test fixture',
     '/networking'),
)
# Two projects, each with one user per default role, for the multi-tenant
# tests: a-reader, a-member, a-admin in magnum-a and so on.
PROJECTS = {'a': 'magnum-a', 'b': 'magnum-b'}
ROLES = ('reader', 'member', 'admin')


def password_kwargs(username, password, project_name):
    return {'auth_url': AUTH_URL, 'username': username,
            'password': password, 'project_name': project_name,
            'user_domain_name': DOMAIN, 'project_domain_name': DOMAIN}


def admin_session():
    auth = v3.Password(**password_kwargs(
        'admin', ENV['MAGNUM_CLOUD_ADMIN_PASSWORD'], 'admin'))
    return ks_session.Session(auth=auth, timeout=30)


class Identity:
    """Find-or-create over Keystone's v3 REST API."""

    def __init__(self, session):
        self.session = session

    def _get(self, path, **params):
        return self.session.get(AUTH_URL + path, params=params).json()

    def find(self, collection, **params):
        rows = self._get('/' + collection, **params)[collection]
        return rows[0] if rows else None

    def ensure(self, collection, member, find, body):
        found = self.find(collection, **find)
        if found:
            return found
        reply = self.session.post(AUTH_URL + '/' + collection,
                                  json={member: body})
        return reply.json()[member]

    def domain(self, name):
        return self.ensure('domains', 'domain', {'name': name},
                           {'name': name, 'enabled': True,
                            'description': 'Heat stack users'})

    def project(self, name, domain_id='default'):
        return self.ensure('projects', 'project',
                           {'name': name, 'domain_id': domain_id},
                           {'name': name, 'domain_id': domain_id,
                            'enabled': True})

    def role(self, name):
        return self.ensure('roles', 'role', {'name': name}, {'name': name})

    def user(self, name, password, domain_id='default'):
        # An existing user keeps its password: setting it again would
        # revoke the tokens of tests that are using it right now.
        return self.ensure('users', 'user',
                           {'name': name, 'domain_id': domain_id},
                           {'name': name, 'password': password,
                            'domain_id': domain_id, 'enabled': True})

    def grant(self, role, user, project=None, domain=None, system=False):
        if system:
            target = '/system'
        elif domain:
            target = '/domains/%s' % domain['id']
        else:
            target = '/projects/%s' % project['id']
        self.session.put('%s%s/users/%s/roles/%s' % (
            AUTH_URL, target, user['id'], role['id']))

    def service(self, service_type, name, description):
        return self.ensure('services', 'service', {'type': service_type},
                           {'type': service_type, 'name': name,
                            'description': description, 'enabled': True})

    def region(self, region_id):
        try:
            self.session.get('%s/regions/%s' % (AUTH_URL, region_id))
        except ks_exceptions.NotFound:
            self.session.post(AUTH_URL + '/regions',
                              json={'region': {'id': region_id}})

    def endpoints(self, service, url, region=REGION):
        """Exactly one endpoint per interface in region, at url."""
        self.region(region)
        existing = self._get('/endpoints', service_id=service['id'])
        for interface in INTERFACES:
            rows = [e for e in existing['endpoints']
                    if e['interface'] == interface and
                    e.get('region_id') == region]
            for extra in rows[1:]:
                self.session.delete('%s/endpoints/%s' % (AUTH_URL,
                                                         extra['id']))
            if not rows:
                self.session.post(AUTH_URL + '/endpoints', json={
                    'endpoint': {'service_id': service['id'],
                                 'interface': interface, 'url': url,
                                 'region_id': region, 'enabled': True}})
            elif rows[0]['url'] != url:
                self.session.patch(
                    '%s/endpoints/%s' % (AUTH_URL, rows[0]['id']),
                    json={'endpoint': {'url': url}})


def magnum_conf(service_user):
    """What magnum.conf needs to use this cloud."""
    credentials = {
        'auth_type': 'password',
        'username': service_user['username'],
        'password': service_user['password'],
        'project_name': service_user['project_name'],
        'user_domain_name': DOMAIN,
        'project_domain_name': DOMAIN,
    }
    return {
        'DEFAULT': {'auth_strategy': 'keystone'},
        'keystone_authtoken': dict(
            credentials,
            www_authenticate_uri=KEYSTONE_URL,
            auth_url=KEYSTONE_URL,
            region_name=REGION,
            # No memcached here: keystonemiddleware caches validated tokens
            # in each API process. Keep that short, because a revoked token
            # is accepted until its cache entry ends.
            token_cache_time=ENV.get('MAGNUM_CLOUD_TOKEN_CACHE_TIME', '5'),
            service_token_roles_required='true'),
        'keystone_auth': dict(credentials, auth_url=AUTH_URL),
    }


def setup():
    session = admin_session()
    ks = Identity(session)
    admin_role = ks.role('admin')
    roles = {name: ks.role(name) for name in ROLES}
    service_project = ks.project('service')

    # Magnum's service user. Admin on the service project lets it validate
    # tokens and act for the conductor's periodic work. Keystone 30's
    # default policy for identity:get/delete_application_credential is
    # "rule:admin_required or (role:reader and system_scope:all) or
    # rule:owner" (delete: admin_required or owner) with scope_types
    # system and project: a project-scoped admin token passes, so the
    # conductor can delete the application credential of a cluster whose
    # creator is gone. The system-scope admin assignment lets it use a
    # system-scoped token too, as deployments with enforce_scope do.
    magnum_password = ENV['MAGNUM_CLOUD_MAGNUM_PASSWORD']
    magnum_user = ks.user('magnum', magnum_password)
    ks.grant(admin_role, magnum_user, project=service_project)
    ks.grant(admin_role, magnum_user, system=True)

    # Heat: its service user, the stack-user domain with its admin, and
    # the roles Heat's templates and policies name.
    heat_user = ks.user('heat', ENV['MAGNUM_CLOUD_HEAT_PASSWORD'])
    ks.grant(admin_role, heat_user, project=service_project)
    heat_domain = ks.domain('heat')
    heat_domain_admin = ks.user(
        'heat_domain_admin', ENV['MAGNUM_CLOUD_HEAT_DOMAIN_ADMIN_PASSWORD'],
        domain_id=heat_domain['id'])
    ks.grant(admin_role, heat_domain_admin, domain=heat_domain)
    ks.role('heat_stack_owner')
    ks.role('heat_stack_user')

    ks.endpoints(ks.service('orchestration', 'heat', 'Orchestration'),
                 HEAT_URL + '/v1/%(tenant_id)s')
    magnum_service = ks.service(MAGNUM_SERVICE_TYPE, 'magnum',
                                'Container Infrastructure Management')
    if not Identity(session)._get('/endpoints',
                                  service_id=magnum_service['id'])[
                                      'endpoints']:
        # A placeholder until a test or a developer runs register-magnum.
        ks.endpoints(magnum_service, ENV.get('MAGNUM_CLOUD_MAGNUM_URL',
                                             'http://127.0.0.1:9511'))

    user_password = ENV['MAGNUM_CLOUD_USER_PASSWORD']
    projects = {}
    for key, project_name in PROJECTS.items():
        project = ks.project(project_name)
        users = {}
        for role_name in ROLES:
            username = '%s-%s' % (key, role_name)
            user = ks.user(username, user_password)
            ks.grant(roles[role_name], user, project=project)
            users[role_name] = dict(
                password_kwargs(username, user_password, project_name),
                user_id=user['id'], project_id=project['id'])
        projects[key] = {'id': project['id'], 'name': project_name,
                         'users': users}

    admin_project = ks.find('projects', name='admin')
    service_user = dict(password_kwargs('magnum', magnum_password,
                                        'service'),
                        user_id=magnum_user['id'],
                        project_id=service_project['id'])
    state = {
        'state_dir': ENV['MAGNUM_CLOUD_STATE'],
        'keystone_url': KEYSTONE_URL,
        'auth_url': AUTH_URL,
        'region': REGION,
        'heat_url': HEAT_URL,
        'admin': dict(password_kwargs(
            'admin', ENV['MAGNUM_CLOUD_ADMIN_PASSWORD'], 'admin'),
            project_id=admin_project['id']),
        'service_user': service_user,
        'projects': projects,
        'heat': {'stack_user_domain_id': heat_domain['id'],
                 'stack_user_domain_name': 'heat',
                 'service_username': 'heat'},
        'magnum_service_type': MAGNUM_SERVICE_TYPE,
        'magnum_conf': magnum_conf(service_user),
        'ports': {'keystone': int(ENV['MAGNUM_CLOUD_KEYSTONE_PORT']),
                  'heat': int(ENV['MAGNUM_CLOUD_HEAT_PORT']),
                  'mariadb': int(ENV['MAGNUM_CLOUD_DB_PORT']),
                  'standin_apis': int(ENV['MAGNUM_CLOUD_APIS_PORT'])},
        'keystone': {
            # What it takes to run one more Keystone process on the same
            # database and keys (tests stop and start such a one).
            'gunicorn': ENV['MAGNUM_CLOUD_VENV'] + '/bin/gunicorn',
            'pythonpath': ENV['MAGNUM_CLOUD_TOOLS'],
            'config_file': ENV['MAGNUM_CLOUD_KEYSTONE_CONF'],
        },
        'rabbit_url': ENV['MAGNUM_CLOUD_RABBIT_URL'],
        'logs': ENV['MAGNUM_CLOUD_STATE'] + '/logs',
    }
    tmp = STATE_FILE + '.tmp'
    with open(os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
              'w') as handle:
        json.dump(state, handle, indent=2, sort_keys=True)
    os.replace(tmp, STATE_FILE)


def register_magnum(url, region=REGION):
    ks = Identity(admin_session())
    for service_type in (MAGNUM_SERVICE_TYPE, MAGNUM_UPSTREAM_SERVICE_TYPE):
        service = ks.service(service_type, 'magnum',
                             'Container Infrastructure Management')
        ks.endpoints(service, url.rstrip('/'), region=region)


def register_apis(url):
    ks = Identity(admin_session())
    for service_type, name, description, path in STANDIN_APIS:
        ks.endpoints(ks.service(service_type, name, description),
                     url.rstrip('/') + path)


def wait_heat(seconds):
    """Until heat-engine has reported to the database (and so listens)."""
    session = admin_session()
    project_id = session.get_project_id()
    deadline = time.monotonic() + float(seconds)
    last = None
    while time.monotonic() < deadline:
        try:
            services = session.get('%s/v1/%s/services' % (
                HEAT_URL, project_id)).json()['services']
            if any(s['binary'] == 'heat-engine' and s['status'] == 'up'
                   for s in services):
                return
            last = 'no heat-engine up yet: %s' % services
        except ks_exceptions.ClientException as error:
            last = error
        time.sleep(1)
    sys.exit('heat-engine did not come up in %ss: %s' % (seconds, last))


def env():
    with open(STATE_FILE) as handle:
        state = json.load(handle)
    admin = state['admin']
    print('# The cloud-in-a-box: admin credentials for the openstack CLI.')
    for key, value in (('OS_AUTH_TYPE', 'password'),
                       ('OS_AUTH_URL', admin['auth_url']),
                       ('OS_IDENTITY_API_VERSION', '3'),
                       ('OS_USERNAME', admin['username']),
                       ('OS_PASSWORD', admin['password']),
                       ('OS_PROJECT_NAME', admin['project_name']),
                       ('OS_USER_DOMAIN_NAME', admin['user_domain_name']),
                       ('OS_PROJECT_DOMAIN_NAME',
                        admin['project_domain_name']),
                       ('OS_REGION_NAME', state['region'])):
        print('export %s=%s' % (key, value))
    print('# magnum.conf settings for this cloud:')
    for section, options in state['magnum_conf'].items():
        print('# [%s]' % section)
        for option, value in options.items():
            print('# %s = %s' % (option, value))
    print('# Test users (password kwargs) are in %s' % STATE_FILE)


def main(argv):
    command = argv[1] if len(argv) > 1 else ''
    if command == 'setup':
        setup()
    elif command == 'register-magnum' and len(argv) in (3, 4):
        register_magnum(*argv[2:])
    elif command == 'register-apis' and len(argv) == 3:
        register_apis(argv[2])
    elif command == 'wait-heat' and len(argv) == 3:
        wait_heat(argv[2])
    elif command == 'env':
        env()
    else:
        sys.exit(__doc__)


if __name__ == '__main__':
    main(sys.argv)
