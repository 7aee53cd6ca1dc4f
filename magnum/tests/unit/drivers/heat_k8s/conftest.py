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

"""Fixtures of the Heat Kubernetes drivers' unit tests: a cluster's CAs
made in memory (the real PKI code, no certificate manager)."""

import types

import pytest

from magnum.common import certificates
from magnum.drivers.heat.kubernetes import pki


@pytest.fixture(scope='session')
def certificate_set():
    cluster = types.SimpleNamespace(name='k8s-test', uuid='5d12f6fd-'
                                    '1a1e-4d37-9ad2-6b5d1b5d6c4e')
    return certificates.generate_certificate_set(cluster)


@pytest.fixture(scope='session')
def issuer(certificate_set):
    cas = {
        certificates.CA_KUBERNETES: certificate_set.ca,
        certificates.CA_ETCD: certificate_set.etcd_ca,
        certificates.CA_FRONT_PROXY: certificate_set.front_proxy_ca,
    }
    return pki.Issuer({kind: (issued.certificate, issued.private_key)
                       for kind, issued in cas.items()})
