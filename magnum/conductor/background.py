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

"""Work a conductor carries on after its RPC call answered (an accepted
CA rotation or upgrade, the status sync that follows an operation), in
threads of its own that the service can wait for when it stops."""

import threading


class Threads:
    """Daemon threads running ``work()``, remembered until they end."""

    def __init__(self, name):
        self.name = name
        self._threads = set()
        self._guard = threading.Lock()

    def start(self, work):
        thread = threading.Thread(target=self._tracked, args=(work,),
                                  name=self.name, daemon=True)
        with self._guard:
            self._threads.add(thread)
        thread.start()
        return thread

    def _tracked(self, work):
        try:
            work()
        finally:
            with self._guard:
                self._threads.discard(threading.current_thread())

    def wait(self, timeout=None):
        """Wait for the threads under way (service stop, tests)."""
        with self._guard:
            threads = list(self._threads)
        for thread in threads:
            thread.join(timeout)
