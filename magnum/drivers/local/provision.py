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

"""Node containers: started with their TLS certificates, and everything
of a cluster removed.

magnum.common.certificates (with the cryptography bindings, about
10 MiB) is imported where it is used: magnum-api loads this driver to
validate templates and clusters, which needs neither.
"""

import concurrent.futures
import contextlib
import copy

from magnum.drivers.local import network
from magnum.drivers.local import nodes
from magnum.i18n import _

# How many node containers are made (or removed) at once.
START_PARALLELISM = 4


def ensure_certificates(context, cluster):
    """The cluster's CA and Magnum's client certificate, made and saved
    when missing (a resumed create keeps what it made)."""
    from magnum.common import certificates
    if not (cluster.ca_cert_ref and cluster.magnum_cert_ref):
        certificates.generate_certificates_to_cluster(context, cluster)
        cluster.save()


def start_container(work, nodegroup, index, image, publish):
    """Run a node container (its dockerd waits for its certificates);
    the new Node."""
    name = nodes.node_name(work.cluster.uuid, nodegroup, index)
    role = nodes.ROLE_MASTER if nodegroup.is_master else nodes.ROLE_WORKER
    work.at(_('starting node %s') % name)
    cpus, memory = nodes.flavor_limits(nodegroup.flavor_id,
                                       work.engine.cpu_count())
    options = copy.deepcopy(nodes.NODE_RUN_OPTIONS)
    options.update(nodes.resource_options(cpus, memory))
    options.update(
        hostname=name, network=work.network,
        labels=nodes.labels_for(work.cluster, role, nodegroup, index,
                                image, work.driver_name),
        environment=nodes.node_environment(work.template))
    servers = nodes.dns_servers(work.template)
    if servers:
        options['dns'] = servers
    command = nodes.node_command(work.template.insecure_registry)
    made = []

    def run(ports=None):
        extra = {'ports': ports} if ports else {}
        made.append(work.engine.run(image, command, name, **options,
                                    **extra))

    if publish:
        network.run_published(work, run)
    else:
        run()
    return nodes.describe(made[-1], work.network)


def install_tls(work, node, ca_pem, restart=False):
    """Give a node its server certificate of the cluster's CA; its
    dockerd then starts (is restarted, with ``restart``)."""
    from magnum.common import certificates
    work.at(_('installing the certificates of node %s') % node.name)
    dns_names, ip_addresses = network.certificate_names(work, node)
    cert, key = certificates.issue_server_certificate(
        work.context, work.cluster, node.name, dns_names, ip_addresses)
    if restart:
        work.engine.put_archive(
            node.container, '/',
            nodes.certificates_archive(ca_pem, cert, key))
        work.engine.signal(node.container, nodes.RESTART_SIGNAL)
        return
    work.engine.put_archive(node.container, '/',
                            nodes.tls_archive(ca_pem, cert, key))


def has_other_ca(work, node, ca_pem):
    """Whether the node's dockerd was given another CA than the
    cluster's (a CA rotation that failed midway)."""
    current = work.read_file(node, '%s/ca.pem' % nodes.TLS_DIR)
    return current is not None and current != ca_pem.strip()


def has_tls(work, node):
    code, _output = work.engine.exec(
        node.container, ['test', '-e', '%s/ready' % nodes.TLS_DIR])
    return code == 0


def start_nodes(work, specs, total):
    """Start containers for ``specs`` ((nodegroup, index, image, publish)
    tuples), a few at a time, each with its certificates (its dockerd
    then starts while the next ones are made); the new nodes, managers
    first. When one cannot start, the others still are (their labels
    find them again) and the first error is raised."""
    from magnum.common import certificates
    ca_pem = certificates.get_ca_certificate(work.context, work.cluster)
    work.engine.cpu_count()

    def start(spec):
        node = start_container(work, *spec)
        install_tls(work, node, ca_pem)
        return node

    started, errors = [], []
    with concurrent.futures.ThreadPoolExecutor(
            max_workers=START_PARALLELISM) as pool:
        futures = [pool.submit(start, spec) for spec in specs]
        for future in concurrent.futures.as_completed(futures):
            try:
                started.append(future.result())
            except Exception as error:
                errors.append(error)
                continue
            work.say(_('Started %(done)d of %(total)d nodes') % {
                'done': total - len(specs) + len(started), 'total': total})
    if errors:
        raise errors[0]
    return sorted(started, key=lambda n: (not n.is_master, n.name))


def delete_everything(work):
    """Remove every container, network and volume of the cluster
    (idempotent: what is gone already is not an error); how many of each
    were there."""
    labels = nodes.cluster_labels(work.cluster.uuid)
    work.at(_('removing the containers'))
    containers = work.engine.containers(labels)
    if containers:
        with concurrent.futures.ThreadPoolExecutor(
                max_workers=START_PARALLELISM) as pool:
            for future in [pool.submit(work.engine.remove_container, c)
                           for c in containers]:
                future.result()
    work.at(_('removing the network'))
    networks = work.engine.networks(labels)
    for found in networks:
        with work.engine.calling(_('disconnecting network %s') %
                                 found.name):
            found.reload()
            for container_id in (found.attrs.get('Containers') or {}):
                with contextlib.suppress(Exception):
                    found.disconnect(container_id, force=True)
        work.engine.remove_network(found)
    work.at(_('removing the volumes'))
    volumes = work.engine.volumes(labels)
    for volume in volumes:
        work.engine.remove_volume(volume)
    return len(containers), len(networks), len(volumes)


def count_left(engine, cluster_uuid):
    """(containers, networks, volumes) of the cluster the engine still
    has."""
    labels = nodes.cluster_labels(cluster_uuid)
    return (len(engine.containers(labels)), len(engine.networks(labels)),
            len(engine.volumes(labels)))
