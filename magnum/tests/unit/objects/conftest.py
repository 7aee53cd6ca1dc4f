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


"""Request contexts for the object tests (rows come from db/utils)."""

import pytest

from magnum.common import context as magnum_context
from magnum.tests.unit.db import utils


@pytest.fixture
def ctx():
    """A member of the project the test rows belong to."""
    return magnum_context.make_context(project_id=utils.PROJECT_ID,
                                       user_id=utils.USER_ID,
                                       roles=['member'])


@pytest.fixture
def other_ctx():
    """A member of another project."""
    return magnum_context.make_context(project_id='other_project',
                                       user_id='other_user',
                                       roles=['member'])


@pytest.fixture
def admin_ctx():
    """An admin seeing every project."""
    return magnum_context.make_admin_context(all_tenants=True)
