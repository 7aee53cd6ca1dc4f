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

"""A MariaDB server of one test, that the test stops and starts.

Its data directory, socket, port and log are its own (made with
``mariadb-install-db``, run with ``mariadbd --defaults-file``, as
tools/cloud-in-a-box.sh makes the cloud's), so stopping it takes nothing
away from the machine's MariaDB or from other tests. It serves one
database, ``magnum``, to a user ``magnum`` over TCP on 127.0.0.1.
"""

import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

from magnum.tests.functional import processes

MARIADBD = os.environ.get('MAGNUM_TEST_MARIADBD', '/usr/sbin/mariadbd')
PASSWORD = 'magnum-test'


def _free_port():
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


def _port_open(port):
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=1):
            return True
    except OSError:
        return False


def available():
    """None when this machine can run one, else what is missing."""
    if not os.path.exists(MARIADBD):
        return '%s is not installed' % MARIADBD
    if not shutil.which('mariadb-install-db'):
        return 'mariadb-install-db is not installed'
    return None


class PrivateMariaDB:
    """``start()`` (the first one creates the data directory), ``stop()``
    (a clean shutdown, as a restart does), ``close()`` at the end."""

    def __init__(self, directory):
        self.directory = str(directory)
        os.makedirs(self.directory, exist_ok=True)
        # A socket path must fit in 108 bytes; a test's tmp_path may not.
        self.run_dir = tempfile.mkdtemp(prefix='magnum-mdb-')
        self.socket = os.path.join(self.run_dir, 'mysql.sock')
        self.port = _free_port()
        self.url = 'mysql+pymysql://magnum:%s@127.0.0.1:%d/magnum' % (
            PASSWORD, self.port)
        self.config = os.path.join(self.directory, 'my.cnf')
        self.log = os.path.join(self.directory, 'mariadb.log')
        run_as = 'user = root\n' if os.getuid() == 0 else ''
        with open(self.config, 'w') as handle:
            handle.write(
                '[client]\nsocket = %(socket)s\nport = %(port)d\n\n'
                '[mysqld]\n%(run_as)sdatadir = %(data)s\n'
                'socket = %(socket)s\nport = %(port)d\n'
                'bind-address = 127.0.0.1\npid-file = %(run)s/mariadbd.pid\n'
                'log-error = %(log)s\nskip-name-resolve\n'
                'character-set-server = utf8mb4\n'
                'collation-server = utf8mb4_general_ci\n'
                # Small and fast: the machine is shared, the data is
                # thrown away.
                'innodb_buffer_pool_size = 32M\n'
                'innodb_log_file_size = 16M\n'
                'innodb_flush_log_at_trx_commit = 2\n'
                'performance_schema = OFF\n' % {
                    'socket': self.socket, 'port': self.port,
                    'run_as': run_as, 'run': self.run_dir,
                    'data': os.path.join(self.directory, 'data'),
                    'log': self.log})
        self.server = None
        self._out = open(os.path.join(self.directory, 'mariadbd.out'), 'ab')
        self._made = False

    def _install(self):
        result = subprocess.run(
            ['mariadb-install-db', '--defaults-file=%s' % self.config,
             '--auth-root-authentication-method=normal', '--skip-test-db'],
            stdout=self._out, stderr=subprocess.STDOUT, timeout=180)
        if result.returncode:
            raise RuntimeError('mariadb-install-db failed:\n%s' %
                               self.output())

    def _provision(self):
        import pymysql
        connection = pymysql.connect(unix_socket=self.socket, user='root')
        try:
            with connection.cursor() as cursor:
                cursor.execute('CREATE DATABASE magnum CHARACTER SET utf8mb4')
                cursor.execute("CREATE USER 'magnum'@'127.0.0.1' "
                               "IDENTIFIED BY %s", (PASSWORD,))
                cursor.execute("GRANT ALL PRIVILEGES ON magnum.* TO "
                               "'magnum'@'127.0.0.1'")
            connection.commit()
        finally:
            connection.close()

    def start(self, timeout=90):
        if not os.path.isdir(os.path.join(self.directory, 'data', 'mysql')):
            self._install()
        self.server = subprocess.Popen(
            [MARIADBD, '--defaults-file=%s' % self.config],
            stdout=self._out, stderr=subprocess.STDOUT,
            start_new_session=True, preexec_fn=processes.die_with_parent)
        deadline = time.monotonic() + timeout
        while not (_port_open(self.port) and os.path.exists(self.socket)):
            if self.server.poll() is not None or \
                    time.monotonic() > deadline:
                raise RuntimeError('MariaDB on port %d did not start:\n%s' % (
                    self.port, self.output()))
            time.sleep(0.2)
        if not self._made:
            self._provision()
            self._made = True
        return self

    def stop(self, timeout=60):
        """A clean shutdown (SIGTERM, as systemd restarts it): clients'
        connections are closed, then the port."""
        if self.server is not None and self.server.poll() is None:
            os.kill(self.server.pid, signal.SIGTERM)
            try:
                self.server.wait(timeout)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
                self.server.wait(10)
        processes.wait_for(lambda: not _port_open(self.port), 30,
                           message='MariaDB to close port %d' % self.port)

    def close(self):
        try:
            self.stop()
        finally:
            self._out.close()
            shutil.rmtree(self.run_dir, ignore_errors=True)

    def output(self):
        text = []
        for path in (os.path.join(self.directory, 'mariadbd.out'), self.log):
            if os.path.exists(path):
                with open(path, errors='replace') as handle:
                    text.append(handle.read()[-3000:])
        return '\n'.join(text)
