# TEST FIXTURE of the cloud-in-a-box (tools/cloud-in-a-box.sh), not part of
# Magnum: it stands in for cloud-init on the containers that stand in for
# Nova servers (standin_server.py beside it). It turns a server's user data
# into what cloud-init would do with it (files to write, scripts to run, in
# cloud-init's order) so that the container can run it. See
# doc/source/contributor/cloud-in-a-box.rst for what it proves and what not.
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

"""User data -> a boot plan, the way cloud-init reads user data.

Understood:

- a shell script (``#!``): run as root;
- ``#cloud-config``: ``bootcmd``, ``write_files`` (path, content,
  permissions, owner, encoding b64/gzip, append, defer) and ``runcmd``
  (strings are shell lines, lists are argument vectors); other keys are
  listed in the boot output as not done here;
- MIME multipart (what ``OS::Heat::MultipartMime`` makes): each part by its
  type, ``text/plain`` parts by their first line as cloud-init does; the
  cloud-config parts merge as cloud-init merges them by default (a later
  part's key replaces an earlier one's) unless a part asks for
  ``list(append)`` with ``merge_how``/``merge_type`` or a ``Merge-Type``
  header;
- Ignition JSON (Fedora CoreOS): kept, never run (no FCOS here).

A node image labelled ``USER_DATA_LABEL=record`` (see
:func:`user_data_mode`) is a node that cannot boot on the test cloud (a
Kubernetes node, whose set-up downloads releases): its user data is still
read here, so what the stand-in would refuse is still refused, and is
written into the node exactly as given, but it is not run.

A node image labelled ``USER_DATA_LABEL=kubernetes-api`` is a Kubernetes
stand-in node (``USER_DATA_KUBERNETES``): the user data is written into
the node as for ``record`` and not run; instead the node runs the image's
stand-in program (``KUBERNETES_PROGRAM``, from
tools/cloud-in-a-box/standins/kubernetes/), which reads that user data
and registers the node with a stand-in Kubernetes API (served by the
masters). The server is complete once the program says it started.

Anything else is refused with a message that says what (a real cloud-init
would often skip it silently; a test cloud should say so).

The plan runs in cloud-init's order: boot hooks and ``bootcmd``, then
``write_files``, then the scripts of the user data in order, then
``runcmd``. This module needs only the standard library and PyYAML, so the
functional tests can load it by its path.
"""

import base64
import binascii
import dataclasses
import email
import email.policy
import gzip
import io
import json
import posixpath
import shlex
import tarfile
import time

import yaml

# Where cloud-init keeps an instance's user data and scripts; the stand-in
# uses the same places so that a person looking inside a node finds them.
INSTANCE_DIR = '/var/lib/cloud/instance'
SCRIPTS_DIR = INSTANCE_DIR + '/scripts'
STAGING_DIR = INSTANCE_DIR + '/magnum-standin'
RUNNER = STAGING_DIR + '/boot.sh'
OUTPUT_LOG = '/var/log/cloud-init-output.log'
BOOT_FINISHED = INSTANCE_DIR + '/boot-finished'
IGNITION_PATH = '/etc/magnum-ignition.json'
# In a node whose user data was recorded and not run: why not.
NOT_RUN_PATH = STAGING_DIR + '/NOT-RUN'

# The label of a node image (a Docker image of the test cloud's engine)
# that says what the Nova stand-in does with a server's user data: run it
# as cloud-init would (USER_DATA_RUN, also when the label is absent), or
# only write it into the node (USER_DATA_RECORD). The image decides, not
# the template: the drivers' templates run unchanged on the test cloud.
USER_DATA_LABEL = 'org.openstack.magnum.standin.user-data'
USER_DATA_RUN = 'run'
USER_DATA_RECORD = 'record'
USER_DATA_KUBERNETES = 'kubernetes-api'
USER_DATA_MODES = (USER_DATA_RUN, USER_DATA_RECORD, USER_DATA_KUBERNETES)
# Where a Kubernetes stand-in node image has its program (see
# magnum/tests/functional/kubernetes_node_image.py).
KUBERNETES_PROGRAM = '/usr/local/lib/magnum-standin/kubernetes_node.py'

SCRIPT_TYPES = ('text/x-shellscript', 'text/x-shellscript-per-boot',
                'text/x-shellscript-per-instance',
                'text/x-shellscript-per-once')
CLOUD_CONFIG_TYPES = ('text/cloud-config',)
BOOTHOOK_TYPES = ('text/cloud-boothook',)
# Parts whose type cloud-init guesses from their first line.
GUESSED_TYPES = ('text/plain', 'text/x-not-multipart',
                 'application/octet-stream')
PREFIXES = (('#!', 'text/x-shellscript'),
            ('#cloud-config', 'text/cloud-config'),
            ('#cloud-boothook', 'text/cloud-boothook'),
            ('#include', 'text/x-include-url'),
            ('#part-handler', 'text/part-handler'),
            ('## template: jinja', 'text/jinja2'))
# cloud-config keys done here; the others are named in the boot output.
DONE_KEYS = ('bootcmd', 'write_files', 'runcmd', 'merge_how', 'merge_type')


class UserDataError(ValueError):
    """User data the stand-in cannot run; the message says what and why."""


@dataclasses.dataclass
class FileToWrite:
    path: str
    content: bytes
    mode: int = 0o644
    owner: str = 'root:root'
    append: bool = False


@dataclasses.dataclass
class BootPlan:
    """What to do in a node, in this order: ``early`` scripts (boot hooks,
    bootcmd), ``files``, ``scripts`` (the user data's own), ``runcmd``."""

    early: list = dataclasses.field(default_factory=list)
    files: list = dataclasses.field(default_factory=list)
    scripts: list = dataclasses.field(default_factory=list)
    runcmd: bytes = b''
    ignition: bytes = b''
    notes: list = dataclasses.field(default_factory=list)

    def empty(self):
        return not (self.early or self.files or self.scripts or self.runcmd)


def _text(payload):
    if isinstance(payload, bytes):
        return payload.decode('utf-8', errors='replace')
    return payload or ''


def _guess_type(text):
    stripped = text.lstrip()
    for prefix, content_type in PREFIXES:
        if stripped.startswith(prefix):
            return content_type
    if stripped.startswith('{'):
        return 'application/json'
    return None


def _ignition(text):
    """The Ignition config in text, or None when text is no Ignition."""
    try:
        config = json.loads(text)
    except ValueError:
        return None
    if isinstance(config, dict) and isinstance(config.get('ignition'), dict):
        return config
    return None


def _command_lines(commands, key):
    """bootcmd/runcmd entries as shell lines (cloud-init's rule: a string
    is a line as it is, a list is quoted word by word)."""
    if commands is None:
        return []
    if not isinstance(commands, list):
        raise UserDataError('cloud-config %s must be a list, not %s' % (
            key, type(commands).__name__))
    lines = []
    for entry in commands:
        if isinstance(entry, list):
            lines.append(' '.join(shlex.quote(str(word)) for word in entry))
        elif isinstance(entry, str):
            lines.append(entry)
        else:
            raise UserDataError('cloud-config %s entries are strings or '
                                'lists, not %r' % (key, entry))
    return lines


def _shell_script(lines):
    return ('#!/bin/sh\n' + ''.join(line + '\n' for line in lines)).encode()


def _mode(value, path):
    if value is None:
        return 0o644
    try:
        if isinstance(value, int):
            return value
        return int(str(value), 8)
    except ValueError:
        raise UserDataError('write_files %s: permissions %r are not octal'
                            % (path, value))


def _content(entry, path):
    content = entry.get('content', '')
    if 'source' in entry:
        raise UserDataError('write_files %s: "source" (a URL) is not '
                            'fetched on the test cloud' % path)
    encoding = str(entry.get('encoding') or 'text/plain').lower()
    data = content.encode() if isinstance(content, str) else bytes(content)
    try:
        if encoding in ('b64', 'base64', 'gz+b64', 'gzip+base64',
                        'gz+base64', 'gzip+b64'):
            data = base64.b64decode(data)
        if encoding in ('gz', 'gzip', 'gz+b64', 'gzip+base64', 'gz+base64',
                        'gzip+b64'):
            data = gzip.decompress(data)
        elif encoding not in ('text/plain', 'b64', 'base64'):
            raise UserDataError('write_files %s: unknown encoding %r' % (
                path, encoding))
    except (binascii.Error, OSError, EOFError) as error:
        raise UserDataError('write_files %s: content is not valid %s: %s'
                            % (path, encoding, error))
    return data


def _files(entries):
    if entries is None:
        return [], []
    if not isinstance(entries, list):
        raise UserDataError('cloud-config write_files must be a list')
    now, deferred = [], []
    for entry in entries:
        if not isinstance(entry, dict) or not entry.get('path'):
            raise UserDataError('write_files entry without a path: %r' % (
                entry,))
        path = posixpath.normpath('/' + str(entry['path']).lstrip('/'))
        item = FileToWrite(path=path, content=_content(entry, path),
                           mode=_mode(entry.get('permissions'), path),
                           owner=str(entry.get('owner') or 'root:root'),
                           append=bool(entry.get('append', False)))
        (deferred if entry.get('defer') else now).append(item)
    return now, deferred


def _appends_lists(config, header):
    """Whether a cloud-config part asks for its lists to be appended
    (``list(append...)`` as a string, or cloud-init's list form)."""
    for how in (config.get('merge_how'), config.get('merge_type'), header):
        if isinstance(how, str) and 'list(append' in how.replace(' ', ''):
            return True
        if isinstance(how, list) and any(
                isinstance(item, dict) and item.get('name') == 'list'
                and 'append' in (item.get('settings') or [])
                for item in how):
            return True
    return False


def _merge(merged, config, header):
    """cloud-init's default for a later cloud-config part: its keys
    replace the earlier ones; with list(append), lists are appended."""
    append = _appends_lists(config, header)
    for key, value in config.items():
        if (append and isinstance(value, list)
                and isinstance(merged.get(key), list)):
            merged[key] = merged[key] + value
        else:
            merged[key] = value


def _parts(user_data):
    """[(content type, text, Merge-Type header)] of the user data, the
    parts of a MIME multipart in order, else the whole text."""
    head = user_data.lstrip()[:200].lower()
    if head.startswith(('content-type:', 'mime-version:')):
        message = email.message_from_string(user_data.lstrip(),
                                            policy=email.policy.compat32)
        if message.is_multipart():
            parts = []
            for part in message.walk():
                if part.is_multipart():
                    continue
                text = _text(part.get_payload(decode=True))
                parts.append((part.get_content_type(), text,
                              part.get('Merge-Type') or
                              part.get('X-Merge-Type')))
            return parts
    return [('text/x-not-multipart', user_data, None)]


def plan(user_data):
    """The :class:`BootPlan` of user data (a str); UserDataError when it
    holds something the stand-in does not run."""
    result = BootPlan()
    if not (user_data or '').strip():
        result.notes.append('no user data')
        return result
    ignition = _ignition(user_data.strip())
    if ignition is not None:
        result.ignition = json.dumps(ignition, indent=2).encode() + b'\n'
        result.notes.append('Ignition config stored in %s, not run (no '
                            'Fedora CoreOS on the test cloud)'
                            % IGNITION_PATH)
        return result
    merged = {}
    for index, (content_type, text, merge_header) in enumerate(
            _parts(user_data), 1):
        if content_type in GUESSED_TYPES:
            content_type = _guess_type(text) or content_type
        name = 'part-%03d' % index
        if content_type in SCRIPT_TYPES:
            result.scripts.append((name, text.encode()))
        elif content_type in BOOTHOOK_TYPES:
            body = text.split('\n', 1)[1] if '\n' in text else ''
            result.early.append(('boothook-%03d' % index,
                                 ('#!/bin/sh\n' + body).encode()))
        elif content_type in CLOUD_CONFIG_TYPES:
            try:
                config = yaml.safe_load(text)
            except yaml.YAMLError as error:
                raise UserDataError('%s (cloud-config) is not valid YAML: %s'
                                    % (name, error))
            if config is None:
                continue
            if not isinstance(config, dict):
                raise UserDataError('%s (cloud-config) is not a mapping'
                                    % name)
            _merge(merged, config, merge_header)
        elif content_type == 'application/json' and _ignition(text):
            raise UserDataError('%s is an Ignition config inside a MIME '
                                'multipart; Ignition reads whole user '
                                'data only' % name)
        else:
            raise UserDataError(
                '%s of type %s is not run by the test cloud (it runs shell '
                'scripts, cloud-config and MIME multiparts of them; '
                'Ignition is kept)' % (name, content_type))
    bootcmd = _command_lines(merged.get('bootcmd'), 'bootcmd')
    if bootcmd:
        result.early.append(('bootcmd', _shell_script(bootcmd)))
    now, deferred = _files(merged.get('write_files'))
    result.files = now + deferred
    runcmd = _command_lines(merged.get('runcmd'), 'runcmd')
    if runcmd:
        result.runcmd = _shell_script(runcmd)
    ignored = sorted(key for key in merged if key not in DONE_KEYS)
    if ignored:
        result.notes.append('cloud-config keys not done on the test cloud: '
                            + ', '.join(ignored))
    return result


def user_data_mode(image_labels, image_name):
    """USER_DATA_RUN, USER_DATA_RECORD or USER_DATA_KUBERNETES, as the
    node image's labels say; UserDataError for any other value (a typo
    must not turn a boot test into a recording)."""
    mode = (image_labels or {}).get(USER_DATA_LABEL) or USER_DATA_RUN
    if mode not in USER_DATA_MODES:
        raise UserDataError(
            'image %s has label %s=%r; the test cloud knows %r (the user '
            'data runs, the default), %r (it is written into the node, '
            'not run) and %r (it is written into the node, not run, and '
            'the image\'s Kubernetes stand-in program reads it)' % (
                image_name, USER_DATA_LABEL, mode, USER_DATA_RUN,
                USER_DATA_RECORD, USER_DATA_KUBERNETES))
    return mode


def _q(text):
    return shlex.quote(text)


def runner(boot_plan, hostname, prologue=''):
    """The shell script that carries out the plan inside the node (files
    are staged by :func:`archive`), after ``prologue`` (shell: what the
    node's operating system would have done at boot); it stops at the
    first step that fails, with that step's exit status."""
    lines = [
        '#!/bin/sh',
        '# Written by the test cloud\'s OS::Nova::Server stand-in (a test',
        '# fixture of tools/cloud-in-a-box): the user data, run as',
        '# cloud-init would run it.',
        'exec >>%s 2>&1 </dev/null' % OUTPUT_LOG,
        'say() { echo "magnum-standin: $*"; }',
        'run() { name=$1; shift; say "running $name"; "$@"; code=$?; '
        'if [ "$code" != 0 ]; then say "$name failed with exit status '
        '$code"; exit "$code"; fi; }',
    ]
    if prologue:
        lines += ['say "preparing the node as its system would at boot"',
                  '(', prologue, ') || exit $?']
    lines += [
        'say %s' % _q('boot of %s: user data run as cloud-init would'
                      % hostname),
    ]
    for note in boot_plan.notes:
        lines.append('say %s' % _q(note))
    for name, _body in boot_plan.early:
        lines.append('run %s %s' % (_q(name), _q('%s/%s' % (STAGING_DIR,
                                                              name))))
    for index, item in enumerate(boot_plan.files):
        staged = '%s/files/%04d' % (STAGING_DIR, index)
        target = _q(item.path)
        lines += [
            'say %s' % _q('writing %s' % item.path),
            'mkdir -p "$(dirname %s)" || exit 1' % target,
            'cat %s %s %s || exit 1' % (_q(staged),
                                        '>>' if item.append else '>',
                                        target),
            'chmod %o %s || exit 1' % (item.mode, target),
            'chown %s %s || say %s' % (
                _q(item.owner), target,
                _q('cannot chown %s to %s' % (item.path, item.owner))),
        ]
    for name, _body in boot_plan.scripts:
        lines.append('run %s %s' % (_q(name), _q('%s/%s' % (SCRIPTS_DIR,
                                                              name))))
    if boot_plan.runcmd:
        lines.append('run runcmd %s/runcmd' % SCRIPTS_DIR)
    lines += ['date -u +%%s >%s' % BOOT_FINISHED,
              'say "user data finished"', '']
    return '\n'.join(lines)


def not_run_note(image_name, mode=USER_DATA_RECORD):
    """What a node whose user data is recorded says about it."""
    note = ('user data recorded, not run: the node image %s is labelled '
            '%s=%s (a node that cannot boot on the test cloud); the user '
            'data is %s/user-data.txt, the files it would write are staged '
            'under %s/files, its scripts under %s' % (
                image_name, USER_DATA_LABEL, mode, INSTANCE_DIR,
                STAGING_DIR, SCRIPTS_DIR))
    if mode == USER_DATA_KUBERNETES:
        note += ('; the image\'s Kubernetes stand-in program %s reads it '
                 'instead (a test fixture: no kubelet or API server runs)'
                 % KUBERNETES_PROGRAM)
    return note


def kubernetes_runner(hostname):
    """The runner of a Kubernetes stand-in node (USER_DATA_KUBERNETES):
    the image's program, which exits 0 once the node's stand-in started
    and non-zero saying why it could not."""
    return '\n'.join([
        '#!/bin/sh',
        '# Written by the test cloud\'s OS::Nova::Server stand-in (a test',
        '# fixture of tools/cloud-in-a-box): a Kubernetes stand-in node.',
        'exec >>%s 2>&1 </dev/null' % OUTPUT_LOG,
        'echo %s' % _q('magnum-standin: boot of %s: the Kubernetes '
                       'stand-in program reads the user data' % hostname),
        'exec python3 %s start' % _q(KUBERNETES_PROGRAM), ''])


def archive(boot_plan, user_data, hostname, prologue='', not_run=None,
            kubernetes=False):
    """A tar (to unpack at /) of the user data, the staged files, the
    scripts and the runner (with ``prologue``, see :func:`runner`).

    ``not_run`` (a sentence saying why, see :func:`not_run_note`) makes
    it the archive of a node whose user data is recorded: the same files,
    the runner included for a person to read, plus that sentence in
    NOT_RUN_PATH and in the boot output; nothing says the boot finished.
    ``kubernetes`` makes the runner :func:`kubernetes_runner`.
    """
    now = time.time()
    buffer = io.BytesIO()

    def add(path, data, mode):
        info = tarfile.TarInfo(path.lstrip('/'))
        info.size = len(data)
        info.mode = mode
        info.mtime = now
        tar.addfile(info, io.BytesIO(data))

    with tarfile.open(fileobj=buffer, mode='w') as tar:
        add(INSTANCE_DIR + '/user-data.txt', (user_data or '').encode(),
            0o600)
        for name, body in boot_plan.early:
            add('%s/%s' % (STAGING_DIR, name), body, 0o700)
        for index, item in enumerate(boot_plan.files):
            add('%s/files/%04d' % (STAGING_DIR, index), item.content, 0o600)
        for name, body in boot_plan.scripts:
            add('%s/%s' % (SCRIPTS_DIR, name), body, 0o700)
        if boot_plan.runcmd:
            add(SCRIPTS_DIR + '/runcmd', boot_plan.runcmd, 0o700)
        if boot_plan.ignition:
            add(IGNITION_PATH, boot_plan.ignition, 0o600)
        add(RUNNER, (kubernetes_runner(hostname) if kubernetes else
                     runner(boot_plan, hostname, prologue)).encode(), 0o700)
        if not_run:
            add(NOT_RUN_PATH, (not_run + '\n').encode(), 0o644)
            add(OUTPUT_LOG, ('magnum-standin: %s\n' % not_run).encode(),
                0o644)
    return buffer.getvalue()
