# Point the catalog's endpoints (public, internal, admin) of one service
# type in the cloud-in-a-box's region at a URL, making the service when
# missing, as the cloud's admin. tools/dashboard.sh uses it for the
# "container-infra" type magnum-ui looks up (cloud-in-a-box.sh
# register-magnum registers only the official type).
#
#   register.py CLOUD_JSON SERVICE_TYPE URL

import json
import sys

from keystoneauth1 import session
from keystoneauth1.identity import v3

INTERFACES = ('public', 'internal', 'admin')


def main(cloud_file, service_type, url):
    cloud = json.load(open(cloud_file))
    admin = cloud['admin']
    ks = session.Session(auth=v3.Password(
        auth_url=admin['auth_url'], username=admin['username'],
        password=admin['password'], project_name=admin['project_name'],
        user_domain_name=admin['user_domain_name'],
        project_domain_name=admin['project_domain_name']))
    base, region, url = cloud['auth_url'], cloud['region'], url.rstrip('/')
    services = ks.get(base + '/services',
                      params={'type': service_type}).json()['services']
    if services:
        service = services[0]
    else:
        service = ks.post(base + '/services', json={'service': {
            'type': service_type, 'name': 'magnum',
            'enabled': True}}).json()['service']
    endpoints = ks.get(base + '/endpoints', params={
        'service_id': service['id']}).json()['endpoints']
    for interface in INTERFACES:
        rows = [e for e in endpoints if e['interface'] == interface and
                e.get('region_id') == region]
        if not rows:
            ks.post(base + '/endpoints', json={'endpoint': {
                'service_id': service['id'], 'interface': interface,
                'url': url, 'region_id': region, 'enabled': True}})
        elif rows[0]['url'] != url:
            ks.patch(base + '/endpoints/%s' % rows[0]['id'],
                     json={'endpoint': {'url': url}})


if __name__ == '__main__':
    main(*sys.argv[1:])
