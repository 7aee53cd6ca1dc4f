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

"""Speed-ups for the libraries the API runs on, applied once at import.

pecan works out the argument list of the controller method by
introspection several times per request (and builds a new namedtuple
class each time); controllers never change at run time, so the answer is
cached.
"""

import functools

import pecan.core
import pecan.decorators
import pecan.rest
import pecan.routing
import pecan.util


def _cache_pecan_argspec():
    if getattr(pecan.util.getargspec, '_magnum_cached', False):
        return
    original = pecan.util.getargspec

    @functools.lru_cache(maxsize=4096)
    def cached(method):
        return original(method)

    def getargspec(method):
        try:
            return cached(method)
        except TypeError:  # unhashable: not worth caching
            return original(method)

    getargspec._magnum_cached = True
    for module in (pecan.util, pecan.core, pecan.rest, pecan.routing,
                   pecan.decorators):
        module.getargspec = getargspec


_cache_pecan_argspec()
