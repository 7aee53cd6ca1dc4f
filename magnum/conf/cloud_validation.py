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

from oslo_config import cfg

cloud_validation_group = cfg.OptGroup(
    'cloud_validation',
    title='Cloud look-ups before a cluster is built',
    help=(
        'Before the Heat drivers accept a cluster template or a cluster, '
        'magnum-api looks up its image (Glance), flavors and keypair '
        '(Nova) and networks (Neutron) with the requesting user\'s token, '
        'so that a wrong name is refused at once with a 400 naming it '
        'rather than failing the Heat stack minutes later.'
    ),
)

cloud_validation_opts = [
    cfg.BoolOpt(
        'enabled',
        default=True,
        help=(
            'Look the template\'s and cluster\'s images, flavors, keypairs '
            'and networks up in the cloud before accepting them. Set it '
            'to false only for test clouds that have no Nova/Glance/'
            'Neutron, such as the functional tests\' cloud-in-a-box; '
            'never in production: a wrong value is then accepted and only '
            'Heat finds it, and the image\'s os_distro no longer fills '
            'the template\'s cluster_distro (the request must give it).'
        ),
    ),
    cfg.IntOpt(
        'cache_ttl',
        default=30,
        min=0,
        help=(
            'Seconds a found image, flavor, keypair, network or subnet is '
            'remembered per project, so that the several checks of one '
            'request and a burst of requests cost one look-up each. 0 '
            'looks everything up every time. What is not found is never '
            'remembered.'
        ),
    ),
    cfg.IntOpt(
        'timeout',
        default=10,
        min=1,
        help=(
            'Seconds to wait for one answer of Nova, Glance or Neutron '
            'during a look-up; the request then fails with a 503 saying '
            'which service did not answer.'
        ),
    ),
]


def register_opts(conf):
    conf.register_group(cloud_validation_group)
    conf.register_opts(cloud_validation_opts, group=cloud_validation_group)


def list_opts():
    return {cloud_validation_group: cloud_validation_opts}
