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

"""Paste filter factories that bind oslo.middleware to Magnum's CONF.

oslo.middleware's own factories either read a project's config files again
(ignoring ``--config-file``) or need their settings in the paste file;
these hand the already-parsed configuration to the middleware instead.
"""

from oslo_middleware import cors

from magnum import conf
from magnum.api.middleware import body_size

CONF = conf.CONF


def cors_filter_factory(global_conf, **local_conf):
    def _filter(app):
        return cors.CORS(app, CONF)
    return _filter


def sizelimit_filter_factory(global_conf, **local_conf):
    """Request bodies above ``[oslo_middleware] max_request_body_size``
    (image tarballs streamed to load_image: ``[api]
    max_image_upload_size``) are refused with a 413 naming the option
    (magnum.api.middleware.body_size)."""
    def _filter(app):
        return body_size.BodySizeLimiter(app, CONF)
    return _filter
