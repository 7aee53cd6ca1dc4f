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

"""The one map of the conductor's errors to the API's: what a conductor
raises crosses RPC as oslo.messaging serializes it, and
ConductorAPI._call turns it into what the API answers."""

import logging

import oslo_messaging as messaging
from oslo_messaging._drivers import common as messaging_common
import pytest

from magnum.common import certificates
from magnum.common import context as magnum_context
from magnum.common import exception
from magnum.common import rpc
from magnum.common.cert_manager import base as cert_manager_base
from magnum.conductor import rpcapi


def crossed(error):
    """``error`` as the API receives it from a conductor's RPC reply, with
    the modules the API's transport allows (rpc.get_transport)."""
    try:
        raise error
    except Exception:
        serialized = messaging_common.serialize_remote_exception(
            __import__('sys').exc_info())
    return messaging_common.deserialize_remote_exception(
        serialized, rpc.ALLOWED_REMOTE_MODULES)


class RaisingClient:
    """The RPC client's part _call uses, raising what a conductor sent."""

    def __init__(self, error):
        self.error = error

    def prepare(self, **kwargs):
        return self

    def call(self, context, method, **kwargs):
        raise self.error

    def cast(self, context, method, **kwargs):
        pass


def call_with(error):
    api = rpcapi.ConductorAPI.__new__(rpcapi.ConductorAPI)
    api._timeout = 5
    api._client = RaisingClient(crossed(error))
    rpcapi._reply_queue['ready'] = True
    context = magnum_context.RequestContext(request_id='req-1234')
    return api._call(context, 'sign_certificate')


@pytest.mark.parametrize('error, code', [
    (exception.CertificateNotAvailable(cluster='c', certificate='CA'), 409),
    (exception.CertificateNotFound(ref='r'), 404),
    (exception.ClusterNotFound(cluster='c'), 404),
    (exception.InvalidCsr(csr='x'), 400),
    (exception.OperationInProgress(cluster_name='c'), 400),
    (exception.ImageNotFound(image_id='i'), 400),
    (exception.ServiceUnavailable(service='s', reason='r'), 503),
])
def test_magnum_errors_cross_as_themselves(error, code):
    with pytest.raises(type(error)) as raised:
        call_with(error)
    assert raised.value.code == code


def test_certificate_errors_keep_their_old_names():
    # Other code imports them from where they used to be.
    assert certificates.CertificateNotAvailable is \
        exception.CertificateNotAvailable
    assert cert_manager_base.CertificateNotFound is \
        exception.CertificateNotFound
    assert cert_manager_base.CertificateStorageError is \
        exception.CertificateStorageError


def test_any_other_error_is_one_500_naming_the_request(caplog):
    secret = 'unix:///var/run/docker.sock at /var/lib/magnum/x'
    with caplog.at_level(logging.ERROR, logger='magnum.conductor.rpcapi'):
        with pytest.raises(exception.ConductorError) as raised:
            call_with(KeyError(secret))
    assert raised.value.code == 500
    assert 'req-1234' in str(raised.value)
    assert 'sign certificate' in str(raised.value)
    # The conductor's words are for the log, not the caller.
    assert secret not in str(raised.value)
    logged = caplog.text
    assert 'KeyError' in logged and secret in logged and 'req-1234' in logged


class Foreign(Exception):
    """Of a module the API's transport does not rebuild from."""


def test_an_error_of_another_module_is_the_same_500(caplog):
    assert isinstance(crossed(Foreign('x')), messaging.RemoteError)
    with caplog.at_level(logging.ERROR, logger='magnum.conductor.rpcapi'):
        with pytest.raises(exception.ConductorError) as raised:
            call_with(Foreign('/var/lib/x'))
    assert '/var/lib/x' not in str(raised.value)
    assert 'Foreign' in caplog.text and '/var/lib/x' in caplog.text


def test_a_builtin_error_is_the_same_500():
    with pytest.raises(exception.ConductorError):
        call_with(ValueError('boom'))


def test_the_transports_own_failures_are_not_rewritten():
    api = rpcapi.ConductorAPI.__new__(rpcapi.ConductorAPI)
    api._timeout = 5
    api._client = RaisingClient(messaging.MessagingTimeout('late'))
    rpcapi._reply_queue['ready'] = True
    with pytest.raises(exception.ConductorUnavailable):
        api._call(magnum_context.RequestContext(), 'ping_conductor')
