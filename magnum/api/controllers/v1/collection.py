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

"""Collections: a page of items and the link to the next page."""

from urllib import parse

from wsme import types as wtypes

from magnum.api.controllers import base
from magnum.api.controllers import link


class Collection(base.APIBase):

    next = wtypes.text
    """A link to the next page, present only when this page is full."""

    @classmethod
    def page(cls, items, limit, url=None, **filters):
        """A page of ``items`` (already in their API form) with the link
        to the next page when it is full."""
        # A stored representation (see APIBase.trusted): the items may
        # be stored representations themselves, which are no instances
        # of the item type for WSME's validation.
        page = cls.trusted({cls._type: items})
        page.next = page.get_next(limit, url=url, **filters)
        return page

    @property
    def collection(self):
        return getattr(self, self._type)

    def has_next(self, limit):
        return len(self.collection) and len(self.collection) == limit

    def get_next(self, limit, url=None, marker_attribute='uuid', **filters):
        """The next-page URL, carrying the request's filters
        (doc/source/contributor/compatibility.rst, "Requests and
        responses")."""
        if not self.has_next(limit):
            return wtypes.Unset
        resource_url = url or self._type
        marker = getattr(self.collection[-1], marker_attribute)
        query = [('sort_key', filters.pop('sort_key', None) or 'id'),
                 ('sort_dir', filters.pop('sort_dir', None) or 'asc'),
                 ('limit', limit), ('marker', marker)]
        query += [(k, v) for k, v in sorted(filters.items())
                  if v is not None]
        return link.build_url(resource_url, '?' + parse.urlencode(query))
