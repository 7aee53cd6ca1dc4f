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


"""Magnum's versioned objects.

Importing this package registers every object, and each registered class is
published here under its name (``objects.Cluster``, ``objects.NodeGroup``,
...) by ``MagnumObjectRegistry``.
"""


def register_all():
    """Import every object module, registering (and publishing) its class.

    Idempotent: a module imported twice registers once.
    """
    # The imports are what registers; the names are not used here.
    from magnum.objects import certificate  # noqa: F401
    from magnum.objects import cluster  # noqa: F401
    from magnum.objects import cluster_request  # noqa: F401
    from magnum.objects import cluster_template  # noqa: F401
    from magnum.objects import container  # noqa: F401
    from magnum.objects import federation  # noqa: F401
    from magnum.objects import magnum_service  # noqa: F401
    from magnum.objects import nodegroup  # noqa: F401
    from magnum.objects import quota  # noqa: F401
    from magnum.objects import stats  # noqa: F401
    from magnum.objects import x509keypair  # noqa: F401


register_all()
