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

"""Helpers the v1 controllers share: paging, lookups, JSON-Patch,
policy scoping."""

import copy

from oslo_utils import strutils
from oslo_utils import uuidutils
import pecan
import wsme

from magnum import conf
from magnum import objects
from magnum.common import exception
from magnum.common import policy
from magnum.i18n import _

CONF = conf.CONF

SORT_DIRECTIONS = ('asc', 'desc')


def validate_limit(limit):
    """The page size: at most ``[api] max_limit``; 0 or less is a 400."""
    if limit is None:
        return CONF.api.max_limit
    if limit <= 0:
        raise exception.InvalidLimit()
    return min(CONF.api.max_limit, limit)


def validate_sort_dir(sort_dir):
    if sort_dir not in SORT_DIRECTIONS:
        raise wsme.exc.ClientSideError(
            _("Invalid sort direction: %s. Acceptable values are "
              "'asc' or 'desc'") % sort_dir)
    return sort_dir


def get_resource(resource, ident):
    """The object named by ``ident`` (id, uuid or name), as the caller may
    see it; 404 when it does not exist or is not visible."""
    cls = getattr(objects, resource)
    return cls.get(pecan.request.context, ident)


def scope_admin(context, all_projects_rule):
    """Admins see every project once ``all_projects_rule`` allows it
    (the ``*_all_projects`` policy rules)."""
    if context.is_admin:
        policy.authorize(context, all_projects_rule)
        context.all_tenants = True


def apply_jsonpatch(document, patch):
    """``document`` with ``patch`` applied (RFC 6902): ``add`` of a
    top-level attribute needs the attribute to exist and be null."""
    # Imported here: only PATCH requests need it (with difflib, 0.4 MiB).
    import jsonpatch
    document = copy.deepcopy(document)
    for operation in patch:
        if operation['op'] == 'add' and operation['path'].count('/') == 1:
            attribute = operation['path'].lstrip('/')
            if attribute not in document:
                raise exception.PatchError(
                    patch=operation, reason=_('%s is not an attribute') %
                    attribute)
            if document[attribute] is not None:
                raise exception.PatchError(
                    patch=operation,
                    reason=_("%s already has a value; use 'replace'") %
                    attribute)
            operation = dict(operation, op='replace')
        try:
            document = jsonpatch.apply_patch(document, [operation])
        except (jsonpatch.JsonPatchException,
                jsonpatch.JsonPointerException, KeyError, IndexError,
                TypeError) as error:
            raise exception.PatchError(patch=operation, reason=error)
    return document


def is_uuid(value):
    return uuidutils.is_uuid_like(value)


def as_bool(value, field):
    try:
        return strutils.bool_from_string(value, strict=True)
    except ValueError:
        raise exception.InvalidParameterValue(
            err=_('%(field)s must be a boolean, not %(value)s') %
            {'field': field, 'value': value})
