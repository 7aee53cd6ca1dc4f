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

"""What magnum-api never uses, kept from being imported at all.

Magnum's services use native threads (see magnum/__init__.py), yet
libraries on the API's import path (futurist, through oslo.messaging and
oslo.service) import eventlet whenever it is installed, only to find out
whether it is in use. Importing it also loads and patches the DNS library
it bundles: about 10 MiB of every API worker, for nothing. Those
libraries treat a failed import as "no eventlet", which is the truth here.

pygments is imported by mako (through pecan) only to colour tracebacks on
debug pages, which magnum-api never serves; mako does without it (about
5 MiB).

greenlet (about 1 MiB) is imported by oslo.middleware's healthcheck only
to list greenlets in its detailed report, where a process without
eventlet has none; SQLAlchemy needs it only for its asyncio extension.
Both do without it.

charset_normalizer (about 1.4 MiB) is what requests uses to guess the
text encoding of a response that names none (``Response.text`` and
``apparent_encoding``). The API reads only JSON from Keystone and Docker,
which requests and the Docker SDK decode without guessing; without a
detector requests assumes UTF-8, which JSON is.

keystonemiddleware (with keystoneclient, oslo.cache, dogpile and the
cryptography bindings it brings, about 13 MiB) validates tokens only with
``[DEFAULT] auth_strategy = keystone``. It is refused the same way until
the API, having read its configuration, admits it (see
magnum.api.app.admit_auth_middleware); under ``noauth`` it never loads.
"""

import sys
import warnings

UNUSED = ('eventlet', 'pygments', 'greenlet', 'charset_normalizer')
# Used only with some configurations: refused like UNUSED until admit().
ON_DEMAND = ('keystonemiddleware',)


def refuse_unused():
    """Make importing the UNUSED and ON_DEMAND packages fail in this
    process (an ImportError, as if they were not installed), unless
    something imported them already."""
    # requests warns at import that it has no encoding detector: that is
    # the point (see charset_normalizer above).
    warnings.filterwarnings(
        'ignore', message='Unable to find acceptable character detection')
    for name in UNUSED + ON_DEMAND:
        if name not in sys.modules:
            sys.modules[name] = None


def admit(name):
    """Let ``name`` be imported again in this process (a no-op unless it
    was refused)."""
    if name in sys.modules and sys.modules[name] is None:
        del sys.modules[name]


def refused():
    """The UNUSED and ON_DEMAND packages that this process refuses."""
    return [name for name in UNUSED + ON_DEMAND
            if name in sys.modules and sys.modules[name] is None]
