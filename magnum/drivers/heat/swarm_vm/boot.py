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

Docker's storage on a Cinder volume (``docker_volume_size``): the node
template replaces :data:`VOLUME_PLACEHOLDER` in the script with the id
of the node's own volume ('' for none). Before dockerd starts, the script
waits for the volume's device (``/dev/disk/by-id/virtio-<first 20
characters of the id>``, or the SCSI form), puts an ext4 file system on
it only when ``blkid`` finds none (so a volume kept across a rebuild
keeps its data), mounts it at ``/var/lib/docker`` with an fstab entry
(and, under systemd, makes docker.service require that mount); a volume
that never appears ends the script with a message naming it.

A node rebuilt by an upgrade on a volume finds its swarm identity
(``/var/lib/docker/swarm``) again: dockerd takes its place in the swarm
under its old node id, and the script neither initialises nor joins; it
takes the upgrade's mark (:data:`REPLACED_LABEL`) off its own node entry
and makes it active again, which is how the driver's upgrade learns that
the node is back (see upgrade.py). A kept identity the swarm no longer
accepts (the entry was removed meanwhile) is left, and the node joins as
a new one.
"""

import shlex

from magnum import conf

DOCKER_PORT = 2376
SWARM_PORT = 2377
TLS_DIR = '/etc/docker/magnum'
DOCKER_ROOT = '/var/lib/docker'
#: What the node template replaces with the id of the node's Cinder
#: volume ('' when it has none): it occurs once in the script.
VOLUME_PLACEHOLDER = '__MAGNUM_DOCKER_VOLUME_ID__'
#: Swarm label of the entry of a node an upgrade rebuilds (its value is
#: when the node was drained); see upgrade.py.
REPLACED_LABEL = 'magnum.upgrade.replaced'

SCRIPT = r'''#!/bin/sh
# Magnum swarm-mode node boot (swarm_vm driver). Generated; do not edit.
set -eu
ADDRESS=%(address)s
MANAGER=%(manager)s
FIRST=%(first)s
JOIN_AS=%(join_as)s
LABELS=%(labels)s
TLS=%(tls_dir)s
# The node's Cinder volume for Docker's storage ('' for none), filled in
# by the node template.
VOLUME='%(volume)s'
VOLUME_WAIT=%(volume_wait)d
DOCKER_ROOT=%(docker_root)s
REPLACED=%(replaced)s
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

# The volume's block device, waited for (Heat attaches the volume once
# Nova says the server is ACTIVE, while it boots); the script fails
# naming the volume when it does not come.
volume_device() {
    short=$(printf '%%.20s' "$VOLUME")
    virtio=/dev/disk/by-id/virtio-$short
    scsi=/dev/disk/by-id/scsi-0QEMU_QEMU_HARDDISK_$short
    waited=0
    while :; do
        for candidate in "$virtio" "$scsi"; do
            if [ -b "$candidate" ]; then
                echo "$candidate"
                return 0
            fi
        done
        if [ "$waited" -ge "$VOLUME_WAIT" ]; then
            echo "magnum: the Cinder volume $VOLUME (docker_volume_size)" \
                "for $DOCKER_ROOT did not appear as $virtio or $scsi" \
                "within ${VOLUME_WAIT}s: is it attached to this server?" >&2
            return 1
        fi
        sleep 2
        waited=$((waited + 2))
    done
}

# Docker's storage on the volume: formatted once (only when blkid finds
# no file system on it, so that a volume kept across a rebuild keeps its
# data), mounted before dockerd starts, in fstab for the next boots.
mount_docker_volume() {
    device=$(volume_device)
    real=$(readlink -f "$device")
    if [ -d /run/systemd/system ]; then
        # An image's own docker.service may be running on the root disk.
        systemctl stop docker.socket docker.service >/dev/null 2>&1 || true
    fi
    # The last mount of the path is the one on top.
    on_top=$(findmnt -n -o SOURCE --target "$DOCKER_ROOT" 2>/dev/null |
        tail -n 1)
    if [ "$on_top" = "$device" ] || [ "$on_top" = "$real" ]; then
        echo "magnum: $DOCKER_ROOT is already on volume $VOLUME ($real)"
        return 0
    fi
    # blkid says 2 both for "no file system" and "cannot open": a device
    # that cannot be read must never be formatted.
    if ! head -c 4096 "$device" > /dev/null 2>/tmp/volume-read; then
        echo "magnum: cannot read volume $VOLUME ($real):" \
            "$(cat /tmp/volume-read)" >&2
        return 1
    fi
    found=0
    blkid -p "$device" >/dev/null 2>&1 || found=$?
    if [ "$found" -eq 2 ]; then
        echo "magnum: no file system on volume $VOLUME ($real): mkfs.ext4"
        mkfs.ext4 -q "$device" < /dev/null
    elif [ "$found" -ne 0 ]; then
        echo "magnum: blkid cannot read volume $VOLUME ($real):" \
            "exit status $found" >&2
        return 1
    fi
    mkdir -p "$DOCKER_ROOT"
    if ! mount "$device" "$DOCKER_ROOT"; then
        echo "magnum: cannot mount volume $VOLUME ($real) on $DOCKER_ROOT" >&2
        return 1
    fi
    if ! grep -q "^[^#]*[[:space:]]${DOCKER_ROOT}[[:space:]]" /etc/fstab \
            2>/dev/null; then
        echo "$device $DOCKER_ROOT auto defaults,nofail 0 2" >> /etc/fstab
    fi
    echo "magnum: $DOCKER_ROOT is on volume $VOLUME ($real)"
}

if [ -n "$VOLUME" ]; then
    mount_docker_volume
fi
DOCKERD="dockerd --tlsverify --tlscacert $TLS/ca.pem"
DOCKERD="$DOCKERD --tlscert $TLS/cert.pem --tlskey $TLS/key.pem"
DOCKERD="$DOCKERD -H tcp://0.0.0.0:%(docker_port)d -H unix:///var/run/docker.sock"
if [ -d /run/systemd/system ]; then
    mkdir -p /etc/systemd/system/docker.service.d
    {
        if [ -n "$VOLUME" ]; then
            # Never on the root disk when the volume is missing at boot.
            printf '[Unit]\nRequiresMountsFor=%%s\n' "$DOCKER_ROOT"
        fi
        printf '[Service]\nExecStart=\nExecStart=/usr/bin/%%s\n' "$DOCKERD"
    } > /etc/systemd/system/docker.service.d/magnum.conf
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
node_api() {
    if [ "$FIRST" = yes ]; then docker "$@"; else remote "$@"; fi
}
swarm_state() {
    docker info --format '{{.Swarm.LocalNodeState}}'
}
state=$(swarm_state)
kept=no
if [ "$state" != inactive ]; then
    # A swarm identity kept on the volume across a rebuild: the node
    # takes its old place once a manager accepts it.
    tries=0
    while [ "$state" != active ] && [ $tries -lt 120 ]; do
        tries=$((tries + 1))
        sleep 1
        state=$(swarm_state)
    done
    if [ "$state" = active ]; then
        kept=yes
    else
        echo "magnum: the swarm identity kept in $DOCKER_ROOT/swarm is" \
            "$state: the node leaves it and joins as a new node" >&2
        docker swarm leave --force || true
        state=$(swarm_state)
    fi
fi
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
    # $args is split on purpose: several flags.
    # shellcheck disable=SC2086
    node_api node update $args "$node"
fi
if [ "$kept" = yes ]; then
    # Back after an upgrade's rebuild under the old node id: the mark
    # the upgrade put on the entry goes, and the node takes tasks again.
    tries=0
    until mark=$(node_api node inspect \
            --format "{{index .Spec.Labels \"$REPLACED\"}}" "$node" \
            2>/tmp/mark); do
        tries=$((tries + 1))
        if [ $tries -gt 300 ]; then
            echo "magnum: cannot read the swarm entry of node $node:" >&2
            cat /tmp/mark >&2
            exit 1
        fi
        sleep 1
    done
    if [ -n "$mark" ]; then
        node_api node update --label-rm "$REPLACED" --availability active \
            "$node"
    fi
    echo "magnum: $ADDRESS kept its swarm identity (node $node)"
fi
echo "magnum: $ADDRESS is in the swarm as node $node"
'''


def script(address, manager, first, join_as, labels, ca, cert, key,
           volume_wait=None):
    """The user data of one node (text). ``labels`` {key: value}. The
    node template fills in its volume's id (:data:`VOLUME_PLACEHOLDER`);
    ``volume_wait``: seconds to wait for the volume's device
    (``[heat_driver] docker_volume_wait`` when None)."""
    if volume_wait is None:
        volume_wait = conf.CONF.heat_driver.docker_volume_wait
    label_words = ' '.join('%s=%s' % (k, v) for k, v in
                           sorted(labels.items()))
    return SCRIPT % {
        'address': shlex.quote(address),
        'manager': shlex.quote(manager),
        'first': 'yes' if first else 'no',
        'join_as': shlex.quote(join_as),
        'labels': shlex.quote(label_words),
        'tls_dir': TLS_DIR,
        'volume': VOLUME_PLACEHOLDER, 'volume_wait': int(volume_wait),
        'docker_root': DOCKER_ROOT, 'replaced': REPLACED_LABEL,
        'ca': ca.strip(), 'cert': cert.strip(), 'key': key.strip(),
        'docker_port': DOCKER_PORT, 'swarm_port': SWARM_PORT,
    }
