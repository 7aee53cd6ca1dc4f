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

"""The cluster driver interface and how drivers are found.

A driver is a class registered in the entry-point group ``magnum.drivers``
(name = driver name). The cluster template names its driver explicitly
(``driver``) or by what the driver ``provides``: a list of
``{"server_type", "os", "coe"}``. Adding a driver means adding a folder
under ``magnum/drivers`` and an entry point; nothing else changes.

Operations a driver does not implement fail with ``NotSupported`` and a
reason naming the driver, rather than every driver stubbing them.
"""

import abc
import threading

from oslo_log import log as logging
from stevedore import extension

from magnum import conf
from magnum.common import exception
from magnum.i18n import _

CONF = conf.CONF
LOG = logging.getLogger(__name__)

NAMESPACE = 'magnum.drivers'


class Driver(abc.ABC):
    """Base class of cluster drivers.

    Who calls what, and what every method may count on and promises:

    - The API calls the ``validate_*`` methods only: quick, read-only,
      raising a 4xx error (``exception.Invalid`` and its kind) that the
      user gets as it is, or ``ServiceUnavailable`` (503) when an outside
      system cannot be asked.
    - The conductor's handlers call the operations (create, update,
      resize, upgrade, delete, nodegroups, CA rotation) under the
      cluster's lock, after the API stored the ``*_IN_PROGRESS`` status
      and the values asked for (node counts, the nodegroup row). An
      operation either returns once the work has started, leaving the
      rest to the outside system (Heat), or runs to completion (the
      local driver); either way it leaves the status ``*_IN_PROGRESS``:
      the end is recorded by ``update_cluster_status``.
    - Operations are idempotent: after a lost request or a conductor
      that died, the same call is made again on a cluster that is half
      built (or half deleted), and does only what is missing.
    - An operation may save the fields of the cluster and its nodegroups
      that describe what it built (``stack_id``, ``api_address``,
      ``node_addresses``, versions, ``status_reason`` as progress,
      conditions) and mark its own nodegroups ``*_FAILED``; never the
      cluster's ``status``, which its caller saves (by compare-and-swap,
      so that a delete asked for meanwhile wins).
    - Any exception an operation raises ends it: the handler records
      ``<OP>_FAILED`` with a status reason naming the step and
      ``str(error)``, so that message says what failed and what a person
      can do. ``NotSupported`` from ``upgrade_cluster`` and
      ``rotate_ca_certificate`` reaches the user as a 400 with nothing
      changed; such a refusal comes before any change.
    - The conductor's status sync calls ``observe_clusters`` and then
      ``update_cluster_status`` for each cluster in progress, under the
      sync's lock, every ``[conductor] sync_interval``; the end of an
      operation is recorded there, with ``magnum.common.cluster_status``.
    - State that must outlive a conductor (an operation's progress)
      lives in the database or in the outside system, never in the
      driver instance or module globals: another conductor may carry on.
    """

    #: Beta drivers are chosen by (server_type, os, coe) only when listed
    #: in [drivers] enabled_beta_drivers.
    beta = False

    #: The entry-point name; set by the loader.
    name = None

    #: Whether the validation hooks (``validate_cluster_template``,
    #: ``validate_cluster``) need the conductor's host (a local engine
    #: only it can reach): the API then has a conductor run them (an RPC
    #: call) rather than run them itself.
    validates_on_conductor = False

    #: Whether the driver's clusters call the cloud (Heat, Nova, ...) and
    #: so get a Keystone application credential at create. A driver that
    #: builds nothing in the cloud says False: its clusters get none.
    uses_cloud_credential = True

    #: Roles (names) the cluster's Keystone application credential carries
    #: in its project: what the driver needs to reach the cloud. None:
    #: [cluster_credentials] roles.
    cloud_credential_roles = None

    #: Keystone access rules restricting that credential to the calls
    #: the driver makes ([{"service": ..., "method": ..., "path": ...}]).
    #: None: not restricted by access rules.
    cloud_credential_access_rules = None

    @property
    @abc.abstractmethod
    def provides(self):
        """[{'server_type': ..., 'os': ..., 'coe': ...}, ...]"""

    def _not_supported(self, operation):
        raise exception.NotSupported(
            operation=_('%(operation)s by the %(driver)s driver') % {
                'operation': operation, 'driver': self.name or
                type(self).__name__})

    # -- validation the API asks for (read-only, quick) -------------------

    def validate_cluster_template(self, context, template):
        """Check a template's values (dict) before it is stored; may fill
        in values it derives (e.g. cluster_distro). Quick and read-only
        (outside systems are only asked, and briefly cached); raises a
        4xx error, or ServiceUnavailable when it cannot ask."""

    def validate_cluster(self, context, cluster, template):
        """Check a cluster (dict of values after defaults) before it is
        stored; as ``validate_cluster_template``."""

    def validate_nodegroup(self, context, cluster, nodegroup):
        """Check a nodegroup's values (dict) before it is stored or
        changed, after the API's own checks. Raises a 4xx error."""

    def validate_master_size(self, master_count):
        """MasterNGSizeInvalid (400) unless the number of masters is one
        the driver builds (default: odd, for a quorum). No I/O."""
        if master_count < 1 or master_count % 2 == 0:
            raise exception.MasterNGSizeInvalid(requested_size=master_count)

    def validate_master_resize(self, node_count):
        """MasterNGResizeNotSupported (400) unless the masters' nodegroup
        can be resized to ``node_count``. No I/O."""
        raise exception.MasterNGResizeNotSupported()

    # -- cluster lifecycle ------------------------------------------------

    @abc.abstractmethod
    def create_cluster(self, context, cluster, cluster_create_timeout):
        """Build ``cluster`` (its certificates and application credential
        exist already): returns once started, or when built; the status
        sync records CREATE_COMPLETE, or CREATE_FAILED after
        ``cluster_create_timeout`` minutes. Idempotent: a create taken up
        again finds what the first one made (by ``stack_id`` or the
        outside system's own labels). Raising records CREATE_FAILED."""

    @abc.abstractmethod
    def delete_cluster(self, context, cluster):
        """Remove everything ``cluster`` has in the outside system:
        returns once started, or when done; ``update_cluster_status``
        then records DELETE_COMPLETE once nothing is left, and the
        conductor forgets the cluster (rows, certificates, credential).
        Idempotent: what is already gone is not an error, and a delete
        that failed (DELETE_FAILED, raised here) can be asked again."""

    def update_cluster(self, context, cluster, scale_manager=None,
                       rollback=False):
        """Make the cluster match its stored nodegroups (their node counts
        are already saved); as ``create_cluster``. Raising records
        UPDATE_FAILED and the handler puts the old node count back."""
        self._not_supported(_('Cluster update'))

    def resize_cluster(self, context, cluster, resize_manager, node_count,
                       nodes_to_remove, nodegroup=None):
        """Give ``nodegroup`` (its new ``node_count`` saved) that many
        nodes, removing ``nodes_to_remove`` (names, addresses or ids of
        its nodes; one that names none is an InvalidParameterValue) first;
        as ``update_cluster``."""
        self._not_supported(_('Cluster resize'))

    def check_upgrade(self, context, cluster, cluster_template, nodegroup):
        """Refuse an upgrade this driver cannot make, before it is
        accepted: quick and read-only, InvalidClusterTemplateForUpgrade
        (409) or NotSupported (400). The caller of the upgrade RPC gets
        the refusal; ``upgrade_cluster`` then runs after the answer."""

    def upgrade_cluster(self, context, cluster, cluster_template,
                        max_batch_size, nodegroup, scale_manager=None,
                        rollback=False):
        """Record an upgrade of ``nodegroup`` to ``cluster_template``'s
        image (the conductor calls it once it answered the API, under the
        cluster's lock; a failure is the cluster's UPDATE_FAILED): the
        nodes are replaced, ``max_batch_size`` at a time, by the outside
        system or by ``update_cluster_status``, and what that needs after
        a restart (the batch size: ``NodeGroup.upgrade_batch_size``) is
        saved now. InvalidClusterTemplateForUpgrade or NotSupported
        (400) before anything is changed; may set the cluster's
        ``cluster_template_id`` and ``status_reason`` for the caller to
        save."""
        self._not_supported(_('Cluster upgrade'))

    def create_nodegroup(self, context, cluster, nodegroup):
        """Build the nodes of ``nodegroup`` (its row is stored,
        CREATE_IN_PROGRESS); as ``update_cluster``."""
        self._not_supported(_('Nodegroup creation'))

    def update_nodegroup(self, context, cluster, nodegroup):
        """Apply the nodegroup's stored changes (limits, labels, taints);
        as ``update_cluster``."""
        self._not_supported(_('Nodegroup update'))

    def delete_nodegroup(self, context, cluster, nodegroup):
        """Remove the nodes of ``nodegroup`` (DELETE_IN_PROGRESS); its
        row is destroyed by ``update_cluster_status`` once they are gone.
        As ``update_cluster``."""
        self._not_supported(_('Nodegroup deletion'))

    def rotate_ca_certificate(self, context, cluster):
        """Give the cluster's nodes the CA being rotated in
        (``certificates.get_pending_rotation``): runs to completion
        inside the conductor's call; the conductor stores the new
        certificates only after it returns. Raising keeps the current
        ones (UPDATE_FAILED), so the nodes moved are given the current
        CA back first, or the message says how they were left.
        NotSupported (400) before anything changes. Idempotent (a
        rotation whose conductor died is finished through
        ``resume_operation``)."""
        self._not_supported(_('CA certificate rotation'))

    def rotate_credential(self, context, cluster):
        """Rotate credentials the driver keeps itself; used when the
        cluster has no Keystone application credential (noauth)."""
        self._not_supported(_('Credential rotation'))

    def update_cloud_credential(self, context, cluster):
        """The cluster's Keystone application credential was replaced
        (already stored): give the new one to whatever in the cluster uses
        it. Nothing by default, for drivers that read it from Magnum when
        they need it. The old one is deleted after this returns; raising
        keeps the old one."""

    def create_federation(self, context, federation):
        self._not_supported(_('Federation creation'))

    def update_federation(self, context, federation):
        self._not_supported(_('Federation update'))

    def delete_federation(self, context, federation):
        self._not_supported(_('Federation deletion'))

    # -- observation and repair -------------------------------------------

    def resume_operation(self, context, cluster, operation):
        """The conductor running ``operation`` on the cluster died midway.

        Called by the status sync (under its lock); may run the rest of
        the operation to completion. Return True when the work goes on
        (it runs outside the conductor, or the driver finished or took
        it up again) and the status sync should keep observing; False to
        have the operation recorded as failed. A driver that cannot
        finish it records the failure itself
        (``cluster_status.fail``) and returns True; an exception is
        logged and the resume is tried again next period.
        """
        return False

    def observe_clusters(self, context, clusters):
        """Read the state of many clusters at once, for this period.

        The conductor's status sync calls it once per period with the
        list of this driver's clusters in progress that the conductor
        owns, before it calls ``update_cluster_status`` for each of them
        (on this same instance). A driver that can read many clusters'
        state in one call (Heat: one stack list per period rather than a
        stack read per cluster) reads it here and keeps it for that
        period's ``update_cluster_status`` calls; what it keeps is thrown
        away at the next call of this method, never used across periods.

        Returns at once after its reads; saves nothing; idempotent. An
        exception is logged by the caller, and each cluster is then
        observed on its own. Nothing by default.
        """

    def update_cluster_status(self, context, cluster):
        """Observe a cluster in progress (DELETE_IN_PROGRESS included)
        and record what is seen (periodic sync, under the sync's lock).

        Progress goes in ``status_reason`` and conditions; the end with
        ``magnum.common.cluster_status.complete`` or ``fail``
        (compare-and-swap, nodegroups follow, one notification), and
        DELETE_COMPLETE once nothing of the cluster is left. Bounded: it
        may do one step of work the outside system does not do itself
        (a batch of an upgrade), not wait for the whole. Idempotent.
        Should not raise: what cannot be observed is said in the status
        reason; an exception is logged and the cluster is looked at
        again next period.
        """

    def get_monitor(self, context, cluster):
        """A health monitor for the cluster, or None; quick, no I/O. Its
        ``poll_health_status()`` returns (health status, {part: reason})
        and may raise: the conductor then records UNKNOWN with the
        error."""
        return None

    # -- nodes and containers (microversion 1.16) -----------------------------

    def list_nodes(self, context, cluster):
        """One dict per machine of the cluster, as it is now: ``name``,
        ``nodegroup`` (name), ``role``, ``addresses`` (list), ``status``
        (``Ready``, ``NotReady`` or ``Unknown``), ``status_reason``,
        ``server_id`` (the server or container the driver knows it by),
        ``engine_version`` and ``running_tasks`` (swarm clusters; else
        None) and ``docker_url`` (tcp://address:port of the node's Docker
        API, for the container handler; never shown). Reads only; what
        cannot be read is said in each node's status and reason.
        NotSupported by default."""
        self._not_supported(_('Listing the nodes of a cluster'))

    #: Whether the cluster's nodes run containers Magnum places through
    #: their Docker API (``docker_url`` of ``list_nodes``), with Magnum's
    #: client certificate of the cluster.
    runs_containers = False


class DriverRegistry:
    """The installed drivers, loaded once per process."""

    def __init__(self, extensions=None):
        self._lock = threading.Lock()
        self._drivers = extensions

    def _load(self):
        with self._lock:
            if self._drivers is None:
                disabled = set(CONF.drivers.disabled_drivers)
                manager = extension.ExtensionManager(
                    NAMESPACE, invoke_on_load=False,
                    on_load_failure_callback=self._load_failed)
                self._drivers = {
                    ext.name: ext.plugin for ext in manager.extensions
                    if ext.name not in disabled}
        return self._drivers

    @staticmethod
    def _load_failed(manager, entry_point, error):
        LOG.error('Cannot load cluster driver %s (%s): %s',
                  entry_point.name, entry_point.value, error)

    def names(self):
        return sorted(self._load())

    def describe(self):
        """'name (server_type/os/coe, ...)' for each driver, for errors."""
        described = []
        for name, cls in sorted(self._load().items()):
            provides = ', '.join('%(server_type)s/%(os)s/%(coe)s' % p
                                 for p in _provides(cls))
            described.append('%s (%s)' % (name, provides or '-'))
        return '; '.join(described) or _('none')

    def get(self, name):
        drivers = self._load()
        if name not in drivers:
            raise exception.ClusterDriverNotSupported(
                driver_name=name, available=self.describe())
        return _instantiate(name, drivers[name])

    def find(self, server_type, os, coe):
        """The driver providing (server_type, os, coe)."""
        enabled_beta = set(CONF.drivers.enabled_beta_drivers)
        for name, cls in sorted(self._load().items()):
            if cls.beta and name not in enabled_beta:
                continue
            for provided in _provides(cls):
                if (provided.get('server_type'), provided.get('os'),
                        provided.get('coe')) == (server_type, os, coe):
                    return _instantiate(name, cls)
        raise exception.ClusterTypeNotSupported(
            server_type=server_type, os=os, coe=coe,
            available=self.describe())

    def candidates(self, server_type, coe, os=None):
        """Drivers providing (server_type, *, coe), or exactly ``os`` when
        given; the API picks among them once it knows the image's OS."""
        enabled_beta = set(CONF.drivers.enabled_beta_drivers)
        found = []
        for name, cls in sorted(self._load().items()):
            if cls.beta and name not in enabled_beta:
                continue
            if any(p.get('server_type') == server_type and
                   p.get('coe') == coe and os in (None, p.get('os'))
                   for p in _provides(cls)):
                found.append(_instantiate(name, cls))
        return found

    def provides(self, driver, server_type, os, coe):
        return any((p.get('server_type'), p.get('os'), p.get('coe')) ==
                   (server_type, os, coe) for p in driver.provides)

    def resolve(self, driver_name=None, server_type=None, os=None,
                coe=None):
        """An explicit driver name wins; else the configured default;
        else what provides the (server_type, os, coe) tuple."""
        if driver_name:
            return self.get(driver_name)
        if CONF.drivers.default_driver:
            return self.get(CONF.drivers.default_driver)
        return self.find(server_type, os, coe)

    def for_template(self, template):
        return self.resolve(template.driver, template.server_type,
                            template.cluster_distro, template.coe)


def _provides(cls):
    try:
        return list(cls().provides)
    except Exception:  # a broken driver must not break the others
        LOG.exception('Cluster driver %s cannot say what it provides', cls)
        return []


def _instantiate(name, cls):
    driver = cls()
    driver.name = name
    return driver


_REGISTRY = DriverRegistry()


def registry():
    return _REGISTRY


def set_registry(new_registry):
    """Use another registry (tests)."""
    global _REGISTRY
    previous, _REGISTRY = _REGISTRY, new_registry
    return previous
