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

"""The fewest privileges a Docker-in-Docker node was measured to need.

Measured on a Docker 20.10 engine with cgroup v1 and no AppArmor (the
trials and their failures are in the Security section of
doc/source/admin/local-driver.rst):

- capabilities: Docker's default set plus SYS_ADMIN (mounts: the node's
  own cgroups, the containers' filesystems) and NET_ADMIN (iptables and
  bridges of the node's dockerd; without it dockerd does not start).
  Not ``ALL``: no SYS_MODULE, SYS_RAWIO, SYS_PTRACE, SYS_TIME, DAC_READ_
  SEARCH, ...;
- seccomp: a profile that allows by default and refuses the system calls
  no node needs and that reach the host kernel's global state (modules,
  kexec, BPF, perf, clocks, swap, open_by_handle_at, ptrace, ...).
  Docker's default profile is refused by the node's own runc, which
  needs keyctl(2) for the containers' session keyrings;
- cgroups: a private cgroup namespace; the node mounts its own cgroup
  hierarchies over the read-only ones Docker gives it. Its dockerd then
  makes cgroups only below the node's own: the host's cgroup tree is
  not mounted into the node any more.
"""

import json

# Docker's default capabilities are kept: the node's dockerd gives them
# to the containers it runs, and a capability outside the node's bounding
# set cannot be given.
CAPABILITIES = ['SYS_ADMIN', 'NET_ADMIN']

# Refused with EPERM. None is used by dockerd, containerd, runc or the
# workloads a swarm node runs in the trials; each is either host-global
# state or a known way out of a container.
DENIED_SYSCALLS = [
    'acct', 'adjtimex', 'bpf', 'clock_adjtime',
    'clock_settime', 'create_module', 'delete_module', 'finit_module',
    'get_kernel_syms', 'init_module', 'ioperm', 'iopl', 'kcmp',
    'kexec_file_load', 'kexec_load', 'lookup_dcookie', 'name_to_handle_at',
    'nfsservctl', 'open_by_handle_at', 'perf_event_open', 'personality',
    'process_vm_readv', 'process_vm_writev', 'ptrace', 'query_module',
    'quotactl', 'quotactl_fd', 'reboot', 'settimeofday', 'stime',
    'swapoff', 'swapon', 'sysfs', '_sysctl', 'uselib', 'userfaultfd',
    'ustat', 'vm86', 'vm86old',
]

SECCOMP_PROFILE = {
    'defaultAction': 'SCMP_ACT_ALLOW',
    'architectures': ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86', 'SCMP_ARCH_X32',
                      'SCMP_ARCH_AARCH64', 'SCMP_ARCH_ARM'],
    'syscalls': [{'names': sorted(DENIED_SYSCALLS),
                  'action': 'SCMP_ACT_ERRNO', 'errnoRet': 1}],
}

# The engine takes the profile itself (what ``docker run --security-opt
# seccomp=FILE`` sends), so no file has to exist on the engine's host.
NODE_RUN_OPTIONS = {
    'cap_add': list(CAPABILITIES),
    'security_opt': ['seccomp=' + json.dumps(SECCOMP_PROFILE,
                                             sort_keys=True),
                     # A no-op where the host has no AppArmor (as where
                     # this was measured); where it has, Docker's
                     # docker-default profile forbids mount(2), which the
                     # node's cgroup set-up and its runc need.
                     'apparmor=unconfined'],
    'cgroupns': 'private',
    'tmpfs': {'/var/lib/docker': 'exec'},
}

# Run first in the node (as root, with SYS_ADMIN): its own cgroup
# hierarchies, writable, in place of the read-only ones. In a private
# cgroup namespace each mount's root is the node's cgroup, so nothing
# above it can be reached. cgroup v2 (one hierarchy): mounted writable,
# the node's processes moved into a child so that controllers can be
# delegated (what Docker's own dind script does; not measured here: the
# machine of the trials has cgroup v1).
CGROUP_SETUP = '\n'.join([
    'if [ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" = cgroup2fs ]; then',
    '  mount -t cgroup2 -o rw,nosuid,nodev,noexec cgroup2 /sys/fs/cgroup'
    ' || { echo "magnum: cannot mount the node\'s cgroup2" >&2; exit 97; }',
    '  mkdir -p /sys/fs/cgroup/init',
    '  xargs -rn1 < /sys/fs/cgroup/cgroup.procs > '
    '/sys/fs/cgroup/init/cgroup.procs 2>/dev/null || :',
    '  sed -e "s/ / +/g" -e "s/^/+/" /sys/fs/cgroup/cgroup.controllers > '
    '/sys/fs/cgroup/cgroup.subtree_control || :',
    'else',
    '  mount -t tmpfs -o rw,nosuid,nodev,noexec,mode=755 cgroup '
    '/sys/fs/cgroup || { echo "magnum: cannot mount /sys/fs/cgroup" >&2; '
    'exit 97; }',
    '  while IFS=: read -r _ ctl _; do',
    '    [ -n "$ctl" ] || continue',
    '    dir=${ctl#name=}; opts=$ctl',
    '    [ "$ctl" = name=systemd ] && opts=none,name=systemd',
    '    mkdir -p "/sys/fs/cgroup/$dir" && '
    'mount -t cgroup -o "$opts" cgroup "/sys/fs/cgroup/$dir" || '
    '{ echo "magnum: cannot mount cgroup $ctl" >&2; exit 97; }',
    '    case $dir in *,*) for one in $(echo "$dir" | tr , " "); do',
    '      [ -e "/sys/fs/cgroup/$one" ] || ln -s "$dir" '
    '"/sys/fs/cgroup/$one"; done;; esac',
    '  done < /proc/1/cgroup',
    'fi',
])
