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

import os

from oslo_config import cfg

api_group = cfg.OptGroup(
    'api',
    title='API service',
    help='How the magnum-api service listens and serves requests.',
)

api_opts = [
    cfg.HostAddressOpt(
        'host',
        default='127.0.0.1',
        help=(
            'Address magnum-api listens on. The default only accepts '
            'local connections; set the address of the interface '
            'clients reach (or 0.0.0.0) on a real deployment.'
        ),
    ),
    cfg.PortOpt(
        'port',
        default=9511,
        help=(
            'TCP port magnum-api listens on. Change it only together '
            'with the container-infra endpoint registered in Keystone.'
        ),
    ),
    cfg.IntOpt(
        'max_limit',
        default=1000,
        min=1,
        help=(
            'Most items a single list request returns, whatever limit '
            'the client asks for. Lower it to bound the cost of one '
            'request; clients page through the rest with "marker".'
        ),
    ),
    cfg.StrOpt(
        'api_paste_config',
        default='api-paste.ini',
        help=(
            'Paste deploy file that builds the API\'s WSGI pipeline. '
            'A relative path is looked up in the configuration '
            'directories; change it to use a customised pipeline.'
        ),
    ),
    cfg.BoolOpt(
        'enabled_ssl',
        default=False,
        help=(
            'Serve the API over HTTPS with ssl_cert_file and '
            'ssl_key_file. Leave it off when a TLS-terminating proxy '
            'sits in front of magnum-api.'
        ),
    ),
    cfg.StrOpt(
        'ssl_cert_file',
        help=(
            'Certificate (PEM) magnum-api presents when enabled_ssl is '
            'set.'
        ),
    ),
    cfg.StrOpt(
        'ssl_key_file',
        help=(
            'Private key (PEM) of ssl_cert_file, used when enabled_ssl '
            'is set.'
        ),
    ),
    cfg.IntOpt(
        'workers',
        # What oslo.concurrency's get_worker_count() answers,
        # without importing it (and multiprocessing) into every
        # process that reads its configuration.
        default=os.cpu_count() or 1,
        sample_default='<number of CPUs>',
        min=1,
        help=(
            'Number of magnum-api worker processes. Defaults to the '
            'number of CPUs; lower it on machines shared with other '
            'services, raise it if requests queue up.'
        ),
    ),
    cfg.IntOpt(
        'threads',
        default=2,
        min=1,
        help=(
            'Number of threads of each magnum-api worker process, each '
            'serving one request at a time. Two keep a worker busy while '
            'one request waits on the database; Python runs one of them '
            'at a time, so more add memory, not speed. Raise it if '
            'requests often wait on Keystone (token validation without '
            'a cache) or on a slow Docker engine.'
        ),
    ),
    cfg.BoolOpt(
        'balanced_workers',
        default=False,
        help=(
            'Spread keep-alive connections that arrive together over the '
            'workers, instead of letting the first worker to wake take '
            'them all (with few long-lived clients, such as a load '
            'balancer\'s pooled connections, one worker may otherwise '
            'serve them all while another idles). It extends gunicorn\'s '
            'threaded worker beyond its documented interface, so it is '
            'used only with the gunicorn releases it was tested with '
            '(27.0.x); with another one magnum-api logs a warning and '
            'uses gunicorn\'s own worker. Not used by other WSGI servers '
            '(magnum.wsgi.api).'
        ),
    ),
    cfg.IntOpt(
        'max_image_upload_size',
        default=4 * 1024 ** 3,
        min=0,
        help=(
            'Largest image tarball, in bytes (4 GiB by default), an '
            'operator may stream to '
            'POST /v1/clusters/{cluster}/actions/load_image (Content-Type '
            'application/x-tar or application/octet-stream). That body '
            'is never held whole: magnum-api passes it on in chunks to a '
            'conductor, which stages it in its temporary directory '
            '([DEFAULT] tempdir, which needs this much free space) and '
            'then loads it into every node. Every other request body, '
            'JSON ones to load_image included, stays under '
            '[oslo_middleware] max_request_body_size. 0 refuses '
            'streamed uploads.'
        ),
    ),
]


def register_opts(conf):
    conf.register_group(api_group)
    conf.register_opts(api_opts, group=api_group)


def list_opts():
    return {api_group: api_opts}
