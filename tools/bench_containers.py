#!/usr/bin/env python3
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

"""Time containers (API 1.16) against a running Magnum: create to
Running, then each action, a number of rounds; prints the median and
the worst of each.

The cluster must be a CREATE_COMPLETE swarm cluster whose nodes have the
image (see load_image in doc/source/user/containers.rst). Without
Keystone (noauth) the project is sent in X-Project-Id::

    python tools/bench_containers.py --endpoint http://127.0.0.1:9511/v1 \\
        --cluster swarm1 --image magnum-test/shell:containers --rounds 5

With Keystone, pass --token (or set OS_TOKEN).

The functional test magnum/tests/functional/test_containers.py prints
the same timings for one round on a fresh 1+2 local cluster.
"""

import argparse
import json
import os
import statistics
import sys
import time
import urllib.request

ACTIONS = ('stop', 'start', 'pause', 'unpause', 'restart')


class Magnum:
    def __init__(self, endpoint, token=None, project='bench'):
        self.endpoint = endpoint.rstrip('/')
        self.headers = {'Content-Type': 'application/json',
                        'OpenStack-API-Version': 'container-infra 1.16'}
        if token:
            self.headers['X-Auth-Token'] = token
        else:
            self.headers.update({'X-Project-Id': project,
                                 'X-User-Id': 'bench',
                                 'X-Roles': 'member,reader'})

    def call(self, method, path, body=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(self.endpoint + path, data=data,
                                         method=method,
                                         headers=self.headers)
        with urllib.request.urlopen(request, timeout=120) as response:
            text = response.read()
        return json.loads(text) if text else None


def timed(timings, name, function, *args):
    started = time.monotonic()
    result = function(*args)
    timings.setdefault(name, []).append(time.monotonic() - started)
    return result


def one_round(magnum, cluster, image, timings, index):
    name = 'bench-%d-%d' % (os.getpid(), index)
    created = timed(timings, 'create to running', magnum.call, 'POST',
                    '/containers', {
                        'name': name, 'image': image, 'cluster': cluster,
                        'command': ['sh', '-c', 'trap "exit 0" TERM; '
                                    'while :; do sleep 1; done']})
    if created['status'] != 'Running':
        raise SystemExit('%s is %s: %s' % (name, created['status'],
                                           created['status_reason']))
    path = '/containers/%s' % created['uuid']
    try:
        timed(timings, 'show', magnum.call, 'GET', path)
        timed(timings, 'logs', magnum.call, 'GET', path + '/logs?tail=10')
        timed(timings, 'execute', magnum.call, 'POST', path + '/execute',
              {'command': ['sh', '-c', 'echo ok']})
        timed(timings, 'stats', magnum.call, 'GET', path + '/stats')
        for action in ACTIONS:
            timed(timings, action, magnum.call, 'POST',
                  '%s/%s' % (path, action))
    finally:
        timed(timings, 'delete', magnum.call, 'DELETE',
              path + '?force=true')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--endpoint', default='http://127.0.0.1:9511/v1')
    parser.add_argument('--token', default=os.environ.get('OS_TOKEN'))
    parser.add_argument('--project', default='bench')
    parser.add_argument('--cluster', required=True)
    parser.add_argument('--image', required=True)
    parser.add_argument('--rounds', type=int, default=3)
    args = parser.parse_args(argv)
    magnum = Magnum(args.endpoint, args.token, args.project)
    timings = {}
    for index in range(args.rounds):
        one_round(magnum, args.cluster, args.image, timings, index)
    print('%-18s %8s %8s' % ('operation', 'median', 'worst'))
    for name, values in timings.items():
        print('%-18s %7.3fs %7.3fs' % (name, statistics.median(values),
                                       max(values)))
    return 0


if __name__ == '__main__':
    sys.exit(main())
