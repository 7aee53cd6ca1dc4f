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

"""Links in API documents: self links under /v1, bookmarks without."""

import pecan


def base_url():
    """The application URL of the current request (scheme, host, script),
    worked out once per request (a list links every item)."""
    environ = pecan.request.environ
    url = environ.get('magnum.base_url')
    if url is None:
        url = environ['magnum.base_url'] = pecan.request.application_url
    return url


def build_url(resource, resource_args='', bookmark=False, base=None):
    base = base or base_url()
    prefix = base if bookmark else '%s/v1' % base
    path = '%s/%s' % (prefix, resource)
    if resource_args:
        separator = '' if resource_args.startswith('?') else '/'
        path = '%s%s%s' % (path, separator, resource_args)
    return path


def make_link(rel, base, resource, resource_args='', bookmark=False,
              type=None):
    href = build_url(resource, resource_args, bookmark=bookmark, base=base)
    link = {'href': href, 'rel': rel}
    if type is not None:
        link['type'] = type
    return link


def self_and_bookmark(base, resource, resource_args=''):
    return [make_link('self', base, resource, resource_args),
            make_link('bookmark', base, resource, resource_args,
                      bookmark=True)]
