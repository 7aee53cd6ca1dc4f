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

"""Whether a node image is in the Docker engine, as the API asks when a
template or a cluster is created, with successful look-ups remembered
briefly."""

import threading
import time

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
        # The engine's own words say where to look and how to build it.
        raise exception.ImageNotFound(str(missing),
                                      image_id=image) from None
    except engine_module.EngineError as error:
        raise exception.ServiceUnavailable(
            service=_('The Docker engine'), reason=str(error)) from None
    finally:
        engine.close()
