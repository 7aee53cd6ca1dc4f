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

"""magnum-driver-manage: what cluster drivers this installation has.

    magnum-driver-manage list-drivers [--details]
"""

import sys

from oslo_config import cfg
from stevedore import extension

from magnum import conf
from magnum.common import service

CONF = conf.CONF

DRIVER_NAMESPACE = 'magnum.drivers'


def installed_drivers():
    """(name, entry point target, driver class or load error) per driver."""
    failures = []
    manager = extension.ExtensionManager(
        DRIVER_NAMESPACE, invoke_on_load=False,
        on_load_failure_callback=lambda mgr, ep, err: failures.append(
            (ep.name, ep.value, err)))
    loaded = [(ext.name, ext.entry_point.value, ext.plugin)
              for ext in manager.extensions]
    return sorted(loaded + failures)


def _provides(plugin):
    if isinstance(plugin, Exception):
        return 'failed to load: %s' % plugin
    try:
        provides = plugin().provides
    except Exception as error:
        return 'failed to instantiate: %s' % error
    return '; '.join('%s/%s/%s' % (p.get('server_type'), p.get('os'),
                                   p.get('coe')) for p in provides)


def do_list_drivers():
    drivers = installed_drivers()
    if not drivers:
        print('No cluster drivers are installed (entry point group %s).' %
              DRIVER_NAMESPACE)
        return
    disabled = set(CONF.drivers.disabled_drivers)
    rows = []
    for name, target, plugin in drivers:
        row = [name, 'disabled' if name in disabled else 'enabled']
        if CONF.command.details:
            row += [target, _provides(plugin)]
        rows.append(row)
    headers = ['driver', 'state']
    if CONF.command.details:
        headers += ['class', 'provides (server_type/os/coe)']
    widths = [max(len(str(r[i])) for r in rows + [headers])
              for i in range(len(headers))]
    for row in [headers] + rows:
        print('  '.join(str(c).ljust(w) for c, w in zip(row, widths))
              .rstrip())


def add_command_parsers(subparsers):
    parser = subparsers.add_parser('list-drivers',
                                   help='List the installed cluster drivers.')
    parser.add_argument('--details', action='store_true',
                        help='Also show each driver class and what cluster '
                             'types it provides.')
    parser.set_defaults(func=do_list_drivers)


command_opt = cfg.SubCommandOpt('command', title='Command',
                                help='Available commands',
                                handler=add_command_parsers)


def main(argv=None):
    argv = sys.argv if argv is None else argv
    CONF.register_cli_opt(command_opt)
    service.parse_args(argv)
    CONF.command.func()
    return 0


if __name__ == '__main__':
    sys.exit(main())
