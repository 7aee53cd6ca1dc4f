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

"""Initial schema: templates, clusters, nodegroups, certificates, services,
quotas and federations.

Revision ID: b614c07dd7dc
Revises:
Create Date: 2026-11-21 12:00:00
"""

from alembic import op
from oslo_db.sqlalchemy import types as oslo_types
import sqlalchemy as sa

# revision identifiers, used by Alembic.
revision = 'b614c07dd7dc'
down_revision = None
branch_labels = None
depends_on = None

MYSQL_TABLE_ARGS = {'mysql_engine': 'InnoDB', 'mysql_charset': 'utf8mb4'}


def _common():
    return [
        sa.Column('created_at', sa.DateTime(), nullable=True),
        sa.Column('updated_at', sa.DateTime(), nullable=True),
        sa.Column('id', sa.Integer(), primary_key=True, autoincrement=True,
                  nullable=False),
    ]


def _str(name, length=255, nullable=True):
    return sa.Column(name, sa.String(length), nullable=nullable)


def _int(name, nullable=True):
    return sa.Column(name, sa.Integer(), nullable=nullable)


def _bool(name):
    return sa.Column(name, sa.Boolean(), nullable=True)


def _text(name):
    return sa.Column(name, sa.Text(), nullable=True)


def _json_dict(name):
    return sa.Column(name, oslo_types.JsonEncodedDict(), nullable=True)


def _json_list(name):
    return sa.Column(name, oslo_types.JsonEncodedList(), nullable=True)


def upgrade():
    op.create_table(
        'cluster_template',
        *_common(),
        _str('uuid', 36), _str('project_id'), _str('user_id'), _str('name'),
        _str('image_id'), _str('flavor_id'), _str('master_flavor_id'),
        _str('keypair_id'), _str('external_network_id'),
        _str('fixed_network'), _str('fixed_subnet'),
        _str('network_driver'), _str('volume_driver'),
        _str('dns_nameserver'), _int('apiserver_port'),
        _int('docker_volume_size'), _str('docker_storage_driver'),
        _str('cluster_distro'), _str('coe'), _str('http_proxy'),
        _str('https_proxy'), _str('no_proxy'), _bool('registry_enabled'),
        _json_dict('labels'), _bool('tls_disabled'), _bool('public'),
        _str('server_type'), _str('insecure_registry'),
        _bool('master_lb_enabled'), _bool('floating_ip_enabled'),
        _bool('hidden'), _str('tags'), _str('driver'),
        sa.UniqueConstraint('uuid', name='uniq_cluster_template0uuid'),
        **MYSQL_TABLE_ARGS)
    op.create_index('cluster_template_project_id_idx', 'cluster_template',
                    ['project_id'])

    op.create_table(
        'cluster',
        *_common(),
        _str('uuid', 36), _str('name'), _str('project_id'), _str('user_id'),
        _str('cluster_template_id'), _str('keypair'),
        _int('docker_volume_size'), _json_dict('labels'),
        _str('master_flavor_id'), _str('flavor_id'), _str('stack_id'),
        _str('api_address'), _str('status', 20), _text('status_reason'),
        _str('health_status', 20), _json_dict('health_status_reason'),
        _int('create_timeout'), _str('discovery_url'), _str('coe_version'),
        _str('container_version'), _str('ca_cert_ref', 512),
        _str('magnum_cert_ref', 512), _str('etcd_ca_cert_ref', 512),
        _str('front_proxy_ca_cert_ref', 512), _str('fixed_network'),
        _str('fixed_subnet'), _bool('floating_ip_enabled'),
        _bool('master_lb_enabled'),
        sa.UniqueConstraint('uuid', name='uniq_cluster0uuid'),
        **MYSQL_TABLE_ARGS)
    op.create_index('cluster_project_id_idx', 'cluster', ['project_id'])
    op.create_index('cluster_cluster_template_id_idx', 'cluster',
                    ['cluster_template_id'])
    op.create_index('cluster_status_idx', 'cluster', ['status'])

    op.create_table(
        'nodegroup',
        *_common(),
        _str('uuid', 36, nullable=False), _str('name', nullable=False),
        _str('cluster_id', nullable=False), _str('project_id', nullable=False),
        _int('docker_volume_size'), _json_dict('labels'), _str('flavor_id'),
        _str('image_id'), _json_list('node_addresses'), _int('node_count'),
        _str('role'), _int('max_node_count'), _int('min_node_count'),
        _bool('is_default'), _str('stack_id'), _str('status', 20),
        _text('status_reason'), _str('version', 20),
        _json_dict('node_labels'), _json_list('node_taints'),
        sa.UniqueConstraint('uuid', name='uniq_nodegroup0uuid'),
        sa.UniqueConstraint('cluster_id', 'name',
                            name='uniq_nodegroup0cluster_id0name'),
        **MYSQL_TABLE_ARGS)

    op.create_table(
        'x509keypair',
        *_common(),
        _str('uuid', 36), _text('certificate'), _text('private_key'),
        _text('private_key_passphrase'), _text('intermediates'),
        _str('project_id'), _str('user_id'),
        sa.UniqueConstraint('uuid', name='uniq_x509keypair0uuid'),
        **MYSQL_TABLE_ARGS)

    op.create_table(
        'magnum_service',
        *_common(),
        _str('host'), _str('binary'), _bool('disabled'),
        _str('disabled_reason'),
        sa.Column('last_seen_up', sa.DateTime(), nullable=True),
        _bool('forced_down'), _int('report_count', nullable=False),
        sa.UniqueConstraint('host', 'binary',
                            name='uniq_magnum_service0host0binary'),
        **MYSQL_TABLE_ARGS)

    op.create_table(
        'quotas',
        *_common(),
        _str('project_id'), _str('resource'),
        _int('hard_limit', nullable=False),
        sa.UniqueConstraint('project_id', 'resource',
                            name='uniq_quotas0project_id0resource'),
        **MYSQL_TABLE_ARGS)

    op.create_table(
        'federation',
        *_common(),
        _str('uuid', 36), _str('project_id'), _str('name'),
        _str('hostcluster_id'), _json_list('member_ids'),
        _str('status', 20), _text('status_reason'),
        _json_dict('properties'),
        sa.UniqueConstraint('uuid', name='uniq_federation0uuid'),
        **MYSQL_TABLE_ARGS)
    op.create_index('federation_project_id_idx', 'federation',
                    ['project_id'])
