# TEST STAND-IN FOR A KUBERNETES NODE (a test fixture of the cloud-in-a-box,
# not part of Magnum). No Kubernetes can run on the test machines, so in a
# node image labelled org.openstack.magnum.standin.user-data=kubernetes-api
# the Nova stand-in runs this program instead of the node's user data. It
# reads the node's boot configuration exactly as Heat delivered it
# (/var/lib/cloud/instance/user-data.txt: Ignition 3 for Fedora CoreOS,
# cloud-config for Ubuntu), writes its files where Ignition or cloud-init
# would (it runs none of its scripts or units), and then:
#
# - on a master, serves a subset of the Kubernetes API (kubernetes_api.py
#   beside it: /readyz, /healthz and the Node resource) over HTTPS on the
#   API port of the node's configuration, with the master's API server
#   certificate and key, requiring client certificates of the cluster's CA;
# - on every node, registers the node's Node object with the API its
#   kubelet's kubeconfig names, with the kubelet's client certificate, the
#   name, labels (--node-labels) and taints (--register-with-taints) of its
#   configuration, and posts its Ready condition every few seconds, as a
#   kubelet does (a node whose program stops is Unknown after the API's
#   grace period; a deleted Node object is registered again; a node
#   started again under a name the API has, a rebuilt or replaced
#   server, posts its whole status, its kubelet version included).
#
# What it proves: that the boot configuration Magnum renders carries what a
# node needs to join (certificates that chain to the cluster's CA and name
# what the clients dial, the API address and port, the node's name, labels
# and taints) and that Magnum's readiness wait, health check, nodes list,
# resize and nodegroups work against a cluster's API. What it does NOT
# prove: no kubelet, containerd, etcd, kube-apiserver, scheduler,
# controller manager, CNI or kube-proxy runs; no pod, add-on or cloud
# provider; nothing of the set-up script; one API server per master, each
# with its own nodes (no shared etcd): a cluster of several masters has
# several disagreeing APIs. Python 3 standard library, plus PyYAML for
# cloud-config.
#
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

"""A stand-in Kubernetes node (see the first lines).

``kubernetes_node.py start``: reads the boot configuration (exits non-zero
saying why when it cannot), starts ``kubernetes_node.py run`` in the
background and waits until it serves (master) and has started its kubelet
loop, then exits 0: what the Nova stand-in waits for before the server is
CREATE_COMPLETE. ``kubernetes_node.py describe`` prints what it read.
"""

import base64
import json
import os
import platform
import shlex
import ssl
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import kubernetes_api  # noqa: E402

USER_DATA = '/var/lib/cloud/instance/user-data.txt'
STATE_DIR = '/var/lib/magnum-standin-kubernetes'
LOG = '/var/log/magnum-standin-kubernetes.log'
STARTED = STATE_DIR + '/started'
ENV_PATH = '/etc/magnum/kubernetes.env'
KUBELET_ENV = '/etc/kubernetes/kubelet.env'
KUBELET_CONF = '/etc/kubernetes/kubelet.conf'
PKI = '/etc/kubernetes/pki'
#: Seconds between two posts of the Ready condition (a kubelet's
#: nodeStatusUpdateFrequency is 10 s; shorter here, with a shorter grace).
HEARTBEAT = 5
START_TIMEOUT = 30
STANDIN_NOTE = ('Magnum test stand-in node: no kubelet, container '
                'runtime or pod runs here')


class ConfigError(Exception):
    pass


def _data_url(source):
    if not source.startswith('data:'):
        raise ConfigError('file source %r is not an inline data URL (the '
                          'stand-in fetches nothing)' % source[:60])
    meta, _comma, data = source[5:].partition(',')
    if meta.endswith(';base64'):
        return base64.b64decode(data).decode()
    return urllib.parse.unquote(data)


def files_of(user_data):
    """{path: text} the boot configuration writes: Ignition's
    storage.files, or cloud-config's write_files."""
    text = user_data.strip()
    if text.startswith('{'):
        document = json.loads(text)
        if not isinstance(document.get('ignition'), dict):
            raise ConfigError('user data is JSON but not an Ignition config')
        return {entry['path']: _data_url(entry['contents']['source'])
                for entry in document.get('storage', {}).get('files', [])}
    if text.startswith('#cloud-config'):
        import yaml
        document = yaml.safe_load(text) or {}
        found = {}
        for entry in document.get('write_files') or []:
            content = entry.get('content', '')
            if 'b64' in str(entry.get('encoding') or ''):
                content = base64.b64decode(content).decode()
            found[entry['path']] = content
        return found
    raise ConfigError('user data is neither an Ignition config nor a '
                      'cloud-config (it starts %r)' % text[:40])


def env_file(text):
    """KEY=value lines (shell-quoted values) as a dict."""
    values = {}
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith('#') or '=' not in line:
            continue
        key, _eq, value = line.partition('=')
        words = shlex.split(value)
        values[key] = words[0] if words else ''
    return values


def kubelet_args(text):
    """{flag: value} of KUBELET_ARGS."""
    args = {}
    for word in shlex.split(env_file(text).get('KUBELET_ARGS', '')):
        if word.startswith('--') and '=' in word:
            key, _eq, value = word[2:].partition('=')
            args[key] = value
    return args


def node_labels(text):
    labels = {}
    for item in filter(None, (text or '').split(',')):
        key, _eq, value = item.partition('=')
        labels[key] = value
    return labels


def taints(text):
    """--register-with-taints (key=value:Effect,...) as Node taints."""
    found = []
    for item in filter(None, (text or '').split(',')):
        key_value, _colon, effect = item.rpartition(':')
        key, _eq, value = key_value.partition('=')
        taint = {'key': key, 'effect': effect}
        if value:
            taint['value'] = value
        found.append(taint)
    return found


class NodeConfig:
    """What the program needs of the node's boot configuration."""

    def __init__(self, files):
        self.files = files

        def need(path):
            if path not in files:
                raise ConfigError('the boot configuration has no %s' % path)
            return files[path]
        env = env_file(need(ENV_PATH))
        args = kubelet_args(need(KUBELET_ENV))
        import yaml
        kubeconfig = yaml.safe_load(need(KUBELET_CONF))
        self.role = env.get('ROLE')
        self.name = args.get('hostname-override') or env.get('NODE_NAME')
        self.address = args.get('node-ip') or env.get('NODE_IP')
        self.api_port = int(env.get('API_PORT') or 6443)
        self.kube_tag = env.get('KUBE_TAG', '')
        self.labels = node_labels(args.get('node-labels'))
        self.taints = taints(args.get('register-with-taints'))
        self.server = kubeconfig['clusters'][0]['cluster']['server']
        user = kubeconfig['users'][0]['user']
        self.ca = need(kubeconfig['clusters'][0]['cluster'][
            'certificate-authority'])
        self.client_cert = need(user['client-certificate'])
        self.client_key = need(user['client-key'])
        if self.role == 'master':
            self.api_cert = need(PKI + '/apiserver.crt')
            self.api_key = need(PKI + '/apiserver.key')
        if not self.name or self.role not in ('master', 'worker'):
            raise ConfigError('the boot configuration names no node or '
                              'role (%r, %r)' % (self.name, self.role))

    def describe(self):
        return {'role': self.role, 'name': self.name,
                'address': self.address, 'api_port': self.api_port,
                'server': self.server, 'labels': self.labels,
                'taints': self.taints, 'kube_tag': self.kube_tag}


def read_config(path=USER_DATA):
    with open(path) as handle:
        return NodeConfig(files_of(handle.read()))


def write_files(files):
    """The files where Ignition or cloud-init would write them (private
    keys and kubeconfigs readable by root only)."""
    for path, content in files.items():
        os.makedirs(os.path.dirname(path), exist_ok=True)
        private = path.endswith('.key') or path.endswith('.conf')
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                     0o600 if private else 0o644)
        with os.fdopen(fd, 'w') as handle:
            handle.write(content)


def log(message):
    print('%s %s' % (kubernetes_api.now_text(), message), flush=True)


class Kubelet:
    """Registers the node and posts its Ready condition (see the first
    lines), through the API its kubeconfig names."""

    def __init__(self, config):
        self.config = config
        self.context = ssl.create_default_context(cadata=config.ca)
        directory = os.path.join(STATE_DIR, 'kubelet')
        os.makedirs(directory, exist_ok=True)
        cert, key = (os.path.join(directory, n) for n in ('c.crt', 'c.key'))
        with open(cert, 'w') as handle:
            handle.write(config.client_cert)
        with open(os.open(key, os.O_WRONLY | os.O_CREAT | os.O_TRUNC,
                          0o600), 'w') as handle:
            handle.write(config.client_key)
        self.context.load_cert_chain(cert, key)
        self.registered = False

    def _call(self, method, path, body=None, content_type=None):
        data = json.dumps(body).encode() if body is not None else None
        request = urllib.request.Request(
            self.config.server + path, data=data, method=method,
            headers={'Content-Type': content_type or 'application/json',
                     'Accept': 'application/json',
                     'User-Agent': 'magnum-standin-kubelet'})
        try:
            with urllib.request.urlopen(request, context=self.context,
                                        timeout=10) as response:
                return response.status, json.loads(response.read() or b'{}')
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b'{}')

    def _status(self):
        moment = kubernetes_api.now_text()
        info = {'kubeletVersion': self.config.kube_tag,
                'kubeProxyVersion': self.config.kube_tag,
                'operatingSystem': 'linux',
                'architecture': {'x86_64': 'amd64', 'aarch64': 'arm64'}.get(
                    platform.machine(), platform.machine()),
                'osImage': 'Magnum test stand-in node',
                'containerRuntimeVersion': 'none://standin'}
        return {
            'conditions': [{
                'type': 'Ready', 'status': 'True', 'reason': 'KubeletReady',
                'message': 'kubelet is posting ready status (%s)' %
                STANDIN_NOTE, 'lastHeartbeatTime': moment,
                'lastTransitionTime': moment}],
            'addresses': [{'type': 'InternalIP',
                           'address': self.config.address},
                          {'type': 'Hostname',
                           'address': self.config.name}],
            'nodeInfo': info}

    def register(self):
        labels = dict(self.config.labels)
        labels.update({'kubernetes.io/hostname': self.config.name,
                       'kubernetes.io/os': 'linux'})
        node = {'apiVersion': 'v1', 'kind': 'Node',
                'metadata': {'name': self.config.name, 'labels': labels},
                'spec': {'taints': self.config.taints} if self.config.taints
                else {},
                'status': self._status()}
        code, body = self._call('POST', kubernetes_api.NODES_PATH, node)
        if code == 409:
            # Registered before (a restart, or a server rebuilt or
            # replaced under the same name): the Node is kept, and its
            # status says what runs now (a kubelet of another release
            # after an upgrade), as a kubelet's first status update does.
            code, body = self._call(
                'PATCH', '%s/%s/status' % (
                    kubernetes_api.NODES_PATH,
                    urllib.parse.quote(self.config.name)),
                {'status': self._status()}, kubernetes_api.STRATEGIC_PATCH)
        if code not in (200, 201):
            raise RuntimeError('registration refused: HTTP %d %s' % (
                code, body.get('message')))
        log('registered node %s with %s' % (self.config.name,
                                            self.config.server))
        self.registered = True

    def heartbeat(self):
        moment = kubernetes_api.now_text()
        path = '%s/%s' % (kubernetes_api.NODES_PATH,
                          urllib.parse.quote(self.config.name))
        code, node = self._call('GET', path)
        ready = {'type': 'Ready', 'status': 'True', 'reason': 'KubeletReady',
                 'message': 'kubelet is posting ready status (%s)' %
                 STANDIN_NOTE, 'lastHeartbeatTime': moment}
        if code == 200:
            current = [c for c in (node.get('status') or {}).get(
                'conditions') or [] if c.get('type') == 'Ready']
            if not current or current[0].get('status') != 'True':
                # Ready again (after the API marked it Unknown).
                ready['lastTransitionTime'] = moment
                log('node %s is Ready again' % self.config.name)
            code, body = self._call(
                'PATCH', path + '/status',
                {'status': {'conditions': [ready]}},
                kubernetes_api.STRATEGIC_PATCH)
        else:
            body = node
        if code == 404:
            log('node %s is gone from the API: registering again'
                % self.config.name)
            self.registered = False
        elif code != 200:
            raise RuntimeError('status refused: HTTP %d %s' % (
                code, body.get('message')))

    def loop(self):
        while True:
            try:
                if not self.registered:
                    self.register()
                else:
                    self.heartbeat()
            except Exception as error:   # the API is not there yet
                log('kubelet: %s: %s' % (type(error).__name__, error))
            time.sleep(HEARTBEAT)


def run():
    config = read_config()
    write_files(config.files)
    os.makedirs(STATE_DIR, exist_ok=True)
    log('stand-in node %s: %s' % (config.name,
                                  json.dumps(config.describe())))
    if config.role == 'master':
        context = kubernetes_api.server_context(
            config.ca, config.api_cert, config.api_key)
        api = kubernetes_api.APIServer(context, kubernetes_api.NodeStore(),
                                       host='0.0.0.0', port=config.api_port)
        api.start()
        log('serving the stand-in Kubernetes API on port %d'
            % config.api_port)
    kubelet = Kubelet(config)
    thread = threading.Thread(target=kubelet.loop, daemon=True,
                              name='kubelet')
    thread.start()
    with open(STARTED, 'w') as handle:
        handle.write('%d\n' % os.getpid())
    thread.join()


def start():
    """Check the configuration, start ``run`` in the background and wait
    for it to say it started (see the module's docstring)."""
    try:
        config = read_config()
    except (OSError, ValueError, KeyError, ConfigError) as error:
        print('magnum-standin: the boot configuration cannot be read: %s'
              % error, flush=True)
        return 1
    print('magnum-standin: Kubernetes stand-in node %s (%s): %s; log %s'
          % (config.name, config.role, STANDIN_NOTE, LOG), flush=True)
    try:
        os.unlink(STARTED)
    except FileNotFoundError:
        pass
    with open(LOG, 'a') as output:
        child = subprocess.Popen(
            [sys.executable, os.path.abspath(__file__), 'run'],
            stdin=subprocess.DEVNULL, stdout=output, stderr=output,
            start_new_session=True, close_fds=True)
    deadline = time.monotonic() + START_TIMEOUT
    while not os.path.exists(STARTED):
        if child.poll() is not None or time.monotonic() > deadline:
            with open(LOG) as handle:
                tail = handle.read()[-2000:]
            print('magnum-standin: the stand-in node did not start:\n%s'
                  % tail, flush=True)
            return 1
        time.sleep(0.2)
    print('magnum-standin: started (pid %d)' % child.pid, flush=True)
    return 0


def main(argv):
    command = argv[1] if len(argv) > 1 else 'start'
    if command == 'start':
        return start()
    if command == 'run':
        run()
        return 0
    if command == 'describe':
        print(json.dumps(read_config(argv[2] if len(argv) > 2 else
                                     USER_DATA).describe(), indent=2))
        return 0
    print('usage: %s [start|run|describe [USER_DATA]]' % argv[0],
          file=sys.stderr)
    return 2


if __name__ == '__main__':
    sys.exit(main(sys.argv))
