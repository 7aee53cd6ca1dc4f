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

"""Whether a node image is in the Docker engine, as the validation of a
template or a cluster asks (in the conductor: the driver's validation
runs on the conductor's host), with successful look-ups remembered
briefly.

What the caller is told never names the engine's URL, its socket or a
path of the host (tenants read it); the log has the engine's own words.
"""

import threading
import time

from oslo_log import log as logging

from magnum.common import exception
from magnum.drivers.local import engine as engine_module
from magnum.i18n import _

# How long a successful image look-up stands: the API's look-ups of
# outside systems are cached briefly. Every POST of a template or a cluster
# checks its image, and asking the engine costs a client, two round trips
# and about as much CPU as the rest of the request. A missing image is
# never remembered, so one just built or loaded is usable at once; one
# deleted is noticed within this many seconds (and a create on it fails
# with the engine's words meanwhile).
IMAGE_FOUND_SECONDS = 10.0

LOG = logging.getLogger(__name__)


def missing_image(image):
    """ImageNotFound (400) for a tenant: what to ask an operator for."""
    return exception.ImageNotFound(_(
        'Node image %(image)s is not in the Docker engine of the local '
        'driver: an operator builds it (tools/build-node-image.sh) or '
        'loads it into that engine; no registry is used.') % {
            'image': image}, image_id=image)


def engine_unavailable():
    """ServiceUnavailable (503) for a tenant, without the engine's URL."""
    return exception.ServiceUnavailable(
        service=_('The Docker engine of the local driver'),
        reason=_('it did not answer; an operator finds why in the '
                 'magnum-conductor log'))


class FoundImages:
    """Images recently found, by engine URL and name, until they expire."""

    LIMIT = 256  # names are few; stay bounded whatever callers send

    def __init__(self, seconds):
        self.seconds = seconds
        self._until = {}
        self._lock = threading.Lock()

    def fresh(self, url, image):
        until = self._until.get((url, image))
        return until is not None and time.monotonic() < until

    def remember(self, url, image):
        with self._lock:
            if len(self._until) >= self.LIMIT:
                now = time.monotonic()
                self._until = {key: until for key, until in
                               self._until.items() if until > now}
                if len(self._until) >= self.LIMIT:
                    self._until.clear()
            self._until[(url, image)] = time.monotonic() + self.seconds

    def clear(self):
        with self._lock:
            self._until.clear()


found_images = FoundImages(IMAGE_FOUND_SECONDS)


def check_image(engine_factory, image):
    """Return when ``image`` is in the engine ``engine_factory()``
    makes; 4xx errors (ImageNotFound, InvalidParameterValue) a person can
    act on, ServiceUnavailable when the engine cannot be asked."""
    if not image:
        raise exception.InvalidParameterValue(
            err=_('image_id must name a node image in the local Docker '
                  'engine, such as magnum/swarm-node:bookworm-1'))
    engine = engine_factory()
    url = getattr(engine, 'url', None)
    try:
        if found_images.fresh(url, image):
            return
        engine.image(image)
        found_images.remember(url, image)
    except engine_module.ImageMissing as missing:
        LOG.info('Validation: %s', missing)
        raise missing_image(image) from None
    except engine_module.EngineError as error:
        LOG.warning('Validation could not look up image %s: %s', image,
                    error)
        raise engine_unavailable() from None
    finally:
        engine.close()
