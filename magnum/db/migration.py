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

"""Database migrations, through the backend named in the entry point group
``magnum.database.migration_backend`` (``sqlalchemy``)."""

from stevedore import driver

_BACKEND = None


def get_backend():
    global _BACKEND
    if _BACKEND is None:
        _BACKEND = driver.DriverManager(
            'magnum.database.migration_backend', 'sqlalchemy').driver
    return _BACKEND


def upgrade(version=None, url=None, upstream_importer=None):
    return get_backend().upgrade(version, url=url,
                                 upstream_importer=upstream_importer)


def stamp(revision, url=None):
    return get_backend().stamp(revision, url=url)


def version(url=None):
    return get_backend().version(url=url)


def head():
    return get_backend().head()


def describe_version(url=None):
    return get_backend().describe_version(url=url)


def clusters_with_certificates_elsewhere(url=None):
    return get_backend().clusters_with_certificates_elsewhere(url=url)


def clusters_without_driver(driver_installed, url=None):
    return get_backend().clusters_without_driver(driver_installed, url=url)


def revision(message=None, autogenerate=False, url=None):
    return get_backend().revision(message=message,
                                  autogenerate=autogenerate, url=url)
