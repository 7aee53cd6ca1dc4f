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

"""The boot configuration of a swarm-mode node: one shell script.

It writes the cluster CA and the node's own certificate and key (signed
by the cluster CA, naming the node's fixed address, good for server and
client authentication), starts dockerd with mutual TLS on 2376 (through
systemd on a real VM, in the background where there is no systemd),
then the first master runs ``docker swarm init`` and every other node
reads its join token from the first master's Docker API over TLS with
its own certificate and joins. Workers label themselves with their
nodegroup's role and node_labels through the same API. The script ends
with exit code 0 once the node is in the swarm: Magnum then sees it from
outside (nothing calls back to Heat).
"""

import shlex

DOCKER_PORT = 2376
SWARM_PORT = 2377
TLS_DIR = '/etc/docker/magnum'

SCRIPT = r'''#!/bin/sh
# Magnum swarm-mode node boot (swarm_vm driver). Generated; do not edit.
set -eu
ADDRESS=%(address)s
MANAGER=%(manager)s
FIRST=%(first)s
JOIN_AS=%(join_as)s
LABELS=%(labels)s
TLS=%(tls_dir)s
umask 077
mkdir -p "$TLS"
cat > "$TLS/ca.pem" <<'MAGNUM_CA'
%(ca)s
MAGNUM_CA
cat > "$TLS/cert.pem" <<'MAGNUM_CERT'
%(cert)s
MAGNUM_CERT
cat > "$TLS/key.pem" <<'MAGNUM_KEY'
%(key)s
MAGNUM_KEY
umask 022
DOCKERD="dockerd --tlsverify --tlscacert $TLS/ca.pem"
DOCKERD="$DOCKERD --tlscert $TLS/cert.pem --tlskey $TLS/key.pem"
DOCKERD="$DOCKERD -H tcp://0.0.0.0:%(docker_port)d -H unix:///var/run/docker.sock"
if [ -d /run/systemd/system ]; then
    mkdir -p /etc/systemd/system/docker.service.d
    printf '[Service]\nExecStart=\nExecStart=/usr/bin/%%s\n' "$DOCKERD" \
        > /etc/systemd/system/docker.service.d/magnum.conf
    systemctl daemon-reload
    systemctl enable docker
    systemctl restart docker
else
    # No init system (a container standing in for a VM): dockerd runs
    # in the background, outliving this script.
    setsid sh -c "exec $DOCKERD" >/var/log/dockerd.log 2>&1 < /dev/null &
fi
tries=0
until docker info >/dev/null 2>&1; do
    tries=$((tries + 1))
    if [ $tries -gt 120 ]; then
        echo "dockerd did not start:" >&2
        tail -n 20 /var/log/dockerd.log >&2 || true
        exit 1
    fi
    sleep 0.5
done
remote() {
    docker --tlsverify --tlscacert "$TLS/ca.pem" --tlscert "$TLS/cert.pem" \
        --tlskey "$TLS/key.pem" -H "tcp://$MANAGER:%(docker_port)d" "$@"
}
state=$(docker info --format '{{.Swarm.LocalNodeState}}')
if [ "$state" != active ]; then
    if [ "$FIRST" = yes ]; then
        docker swarm init --advertise-addr "$ADDRESS"
    else
        tries=0
        until token=$(remote swarm join-token -q "$JOIN_AS" 2>/tmp/join); do
            tries=$((tries + 1))
            if [ $tries -gt 300 ]; then
                echo "the first master $MANAGER did not give a join token:" >&2
                cat /tmp/join >&2
                exit 1
            fi
            sleep 1
        done
        docker swarm join --advertise-addr "$ADDRESS" --token "$token" \
            "$MANAGER:%(swarm_port)d"
    fi
fi
node=$(docker info --format '{{.Swarm.NodeID}}')
if [ -n "$LABELS" ]; then
    args=""
    for label in $LABELS; do args="$args --label-add $label"; done
    if [ "$FIRST" = yes ]; then
        docker node update $args "$node"
    else
        remote node update $args "$node"
    fi
fi
echo "magnum: $ADDRESS is in the swarm as node $node"
'''


def script(address, manager, first, join_as, labels, ca, cert, key):
    """The user data of one node (text). ``labels`` {key: value}."""
    label_words = ' '.join('%s=%s' % (k, v) for k, v in
                           sorted(labels.items()))
    return SCRIPT % {
        'address': shlex.quote(address),
        'manager': shlex.quote(manager),
        'first': 'yes' if first else 'no',
        'join_as': shlex.quote(join_as),
        'labels': shlex.quote(label_words),
        'tls_dir': TLS_DIR,
        'ca': ca.strip(), 'cert': cert.strip(), 'key': key.strip(),
        'docker_port': DOCKER_PORT, 'swarm_port': SWARM_PORT,
    }
