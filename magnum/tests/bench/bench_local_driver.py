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

"""Benchmark, run on demand (not part of the test suite): time to create
and delete 1+2 and 3+5 local-driver clusters with the node image built.

    python -m pytest -s magnum/tests/bench/bench_local_driver.py
"""

import pytest

from magnum.tests.functional.test_local_driver import _leftovers
from magnum.tests.functional.test_local_driver import engine  # noqa: F401
from magnum.tests.functional.test_local_driver import local  # noqa: F401


@pytest.mark.parametrize('masters, workers', [(1, 2), (3, 5)])
def test_benchmark(local, engine, masters, workers):  # noqa: F811
    template = local.template(master_lb_enabled=masters > 1)
    cluster = local.cluster(template, masters=masters, workers=workers)
    created = local.create(cluster)
    deleted = local.delete(cluster)
    assert _leftovers(engine, cluster.uuid) == []
    print('\n%d+%d: create %.1f s, delete %.1f s' % (masters, workers,
                                                     created, deleted))
