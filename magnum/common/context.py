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

"""The request context that travels from the API through RPC to drivers."""

from oslo_context import context


class RequestContext(context.RequestContext):
    """Who is asking, on whose behalf, and how far they may see.

    ``all_tenants`` widens database scoping to every project; the API sets it
    only for admins after the matching ``*_all_projects`` policy passed.
    """

    def __init__(self, auth_token_info=None, auth_url=None,
                 all_tenants=False, **kwargs):
        super().__init__(**kwargs)
        self.auth_token_info = auth_token_info
        self.auth_url = auth_url
        self.all_tenants = all_tenants

    def to_dict(self):
        values = super().to_dict()
        values.update({
            'auth_token_info': self.auth_token_info,
            'auth_url': self.auth_url,
            'all_tenants': self.all_tenants,
        })
        return values

    @classmethod
    def from_dict(cls, values, **kwargs):
        kwargs.setdefault('auth_token_info', values.get('auth_token_info'))
        kwargs.setdefault('auth_url', values.get('auth_url'))
        kwargs.setdefault('all_tenants', values.get('all_tenants', False))
        return super().from_dict(values, **kwargs)

    def to_policy_values(self):
        values = super().to_policy_values()
        values['is_admin'] = self.is_admin
        return values


def make_context(*args, **kwargs):
    return RequestContext(*args, **kwargs)


def make_admin_context(all_tenants=False, **kwargs):
    """A context for Magnum's own work (periodic tasks, the conductor)."""
    return RequestContext(is_admin=True, all_tenants=all_tenants,
                          roles=['admin'], overwrite=False, **kwargs)


def get_admin_context():
    return make_admin_context(all_tenants=True)
