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

"""The Horizon dashboard with magnum-ui (tools/dashboard.sh), driven in
Debian's headless chromium by Selenium, against a live magnum-api and
conductor on the cloud-in-a-box's Keystone.

What runs for real: Horizon and magnum-ui from PyPI, Keystone, Heat,
Magnum's API and conductor, the local driver's swarm-mode clusters on the
private Docker engine, and the Heat Kubernetes driver (k8s_vm) building
its stack in the cloud's Heat. Magnum gets a region of the shared cloud's
catalog of its own, under both service types (magnum-ui looks up
``container-infra``), with the cloud's image, compute and network
endpoints beside it.

What is stood in for, and said so: magnum-ui's create forms offer only
Kubernetes and fill their choices (images, flavors, keypairs,
availability zones, networks) from Glance, Nova and Neutron; the
cloud-in-a-box answers those read-only calls from the fixed inventory of
its stand-in APIs (tools/cloud-in-a-box/apis, a test fixture), and
Magnum's own look-ups ([cloud_validation], on) read the same. The
template and cluster made from the forms are Kubernetes: Heat builds the
cluster's stack on the cloud's stand-ins, and its nodes are KUBERNETES
STAND-IN NODES (the Glance stand-in's Fedora CoreOS image is, in the
Docker engine, the image of magnum/tests/functional/
kubernetes_node_image.py: each node reads the Ignition config Heat gave
it, the master serves a stand-in Kubernetes API, every node registers
Ready; no kubelet or real API server runs). So the cluster goes
CREATE_IN_PROGRESS (Resize not offered meanwhile), then CREATE_COMPLETE
once the conductor saw its API ready and its nodes Ready; the test
watches that in the panel, opens its detail page, resizes it from the
dashboard (UPDATE_COMPLETE, one worker more) and deletes it, its stack
with it. The swarm-mode
template and cluster the resize, error and reader steps use are made
through the API with the local driver, and their status changes (create,
resize, delete) are the conductor's real work, watched in the panels.

Every step writes a screenshot into the run's tmp dir
(``screenshots/NN-step.png``); with ``MAGNUM_DASHBOARD_SCREENSHOTS`` set
to a folder (doc/source/user/images/dashboard) they are copied there.
"""

import contextlib
import ipaddress
import os
import random
import shutil
import signal
import subprocess
import time
import uuid

import pytest
from selenium import webdriver
from selenium.common import exceptions as se
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import Select
from selenium.webdriver.support.ui import WebDriverWait

from magnum.tests import db_backends
from magnum.tests.functional import cloud as cloud_box
from magnum.tests.functional import docker_engine
from magnum.tests.functional import keystone_helpers as kh
from magnum.tests.functional import kubernetes_node_image
from magnum.tests.functional import processes
from magnum.tests.functional import services

SCRIPT = os.path.join(cloud_box.ROOT, 'tools', 'dashboard.sh')
CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'
UP_TIMEOUT = 900          # the first install: pip, collectstatic, compress
WAIT = 60                 # a page, a toast, a row
CLUSTER_WAIT = 240        # the local driver's create, resize, delete
K8S_WAIT = 600            # a Heat Kubernetes stack's create or delete


def _unavailable(message):
    if db_backends.in_ci():
        pytest.fail(message + '\n(CI=true: the dashboard tests must run)',
                    pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope='module')
def deployment(cloud, migrated_db_url, docker_host, tmp_path_factory):
    # [cloud_validation] stays on (the default): templates and clusters
    # made from the forms are checked against the test cloud's read-only
    # Glance, Nova and Neutron stand-ins, and the image's os_distro
    # chooses the driver, as on a real cloud.
    magnum = kh.start_deployment(
        cloud, migrated_db_url, tmp_path_factory.mktemp('magnum'),
        docker_host, config={
            # The swarm clusters the panels show run on this machine's
            # engine: the operator trusts project a with them.
            'local_driver': {'docker_host': docker_host,
                             'allowed_projects': cloud.projects['a']['id']},
            # The conductor is held (stopped) for a few seconds while a
            # cluster is checked CREATE_IN_PROGRESS (held_conductor): its
            # cluster lock must outlast that.
            'conductor': {'lock_timeout': 60}})
    yield magnum
    magnum.stop()


@contextlib.contextmanager
def held_conductor(deployment):
    """The deployment's conductors stopped (SIGSTOP) in the block, so that
    no cluster's status can move on while a test looks at it; the API
    answers meanwhile, and what was cast to the conductors waits in
    RabbitMQ until they go on (SIGCONT)."""
    processes_held = [process.process for process in
                      deployment.conductors.values() if process.running()]
    for process in processes_held:
        os.killpg(process.pid, signal.SIGSTOP)
    try:
        yield
    finally:
        for process in processes_held:
            os.killpg(process.pid, signal.SIGCONT)


@pytest.fixture(scope='module')
def region(cloud, deployment):
    """A catalog region of the test's own with Magnum under both types
    and the cloud's stand-in image, compute and network APIs (Horizon
    calls every service in the region the user chose)."""
    endpoints = cloud.standin_apis()
    endpoints.update({'container-infra': deployment.url,
                      cloud_box.MAGNUM_SERVICE_TYPE: deployment.url})
    with cloud.region_of_own(endpoints) as name:
        yield name


@pytest.fixture(scope='module')
def dashboard(region, tmp_path_factory):
    """tools/dashboard.sh up with a state directory and port of the
    test's (the virtualenv and static files are the shared cache);
    yields its URL, runs down at the end."""
    state = tmp_path_factory.mktemp('dashboard')
    env = dict(os.environ, MAGNUM_DASHBOARD_STATE=str(state),
               MAGNUM_DASHBOARD_PORT=str(services.free_port()))
    try:
        result = subprocess.run(['bash', SCRIPT, 'up'], env=env,
                                capture_output=True, text=True,
                                timeout=UP_TIMEOUT, stdin=subprocess.DEVNULL)
    except subprocess.TimeoutExpired:
        _unavailable('tools/dashboard.sh up took more than %ds' % UP_TIMEOUT)
    if result.returncode != 0:
        _unavailable('tools/dashboard.sh up failed:\n%s' % (
            result.stdout + result.stderr)[-6000:])
    url = subprocess.run(['bash', SCRIPT, 'url'], env=env, check=True,
                         capture_output=True, text=True).stdout.strip()
    yield url, region
    subprocess.run(['bash', SCRIPT, 'down'], env=env, timeout=60,
                   capture_output=True)
    print('==> dashboard log <==\n%s' % (
        state / 'dashboard.log').read_text(errors='replace')[-3000:])


@pytest.fixture(scope='module')
def shots(tmp_path_factory):
    """Where the screenshots go; copied to MAGNUM_DASHBOARD_SCREENSHOTS
    (when set) at the end."""
    directory = tmp_path_factory.mktemp('screenshots')
    yield directory
    target = os.environ.get('MAGNUM_DASHBOARD_SCREENSHOTS')
    if target:
        os.makedirs(target, exist_ok=True)
        for path in sorted(directory.glob('*.png')):
            shutil.copy(path, os.path.join(target, path.name))


@pytest.fixture(scope='module')
def browser(dashboard, shots):
    """Headless chromium from Debian, driven by its own chromedriver:
    both paths are given, so Selenium Manager never downloads one."""
    for path in (CHROMIUM, CHROMEDRIVER):
        if not os.access(path, os.X_OK):
            _unavailable('%s is missing (Debian: apt-get install chromium '
                         'chromium-driver; tools/common.sh '
                         'ensure_test_tools does it)' % path)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ('--headless=new', '--no-sandbox',
                     '--disable-dev-shm-usage', '--disable-gpu',
                     '--window-size=1400,1000', '--lang=en-US'):
        options.add_argument(argument)
    driver = webdriver.Chrome(options=options,
                              service=Service(executable_path=CHROMEDRIVER))
    driver.set_page_load_timeout(WAIT)
    yield Browser(driver, dashboard, shots)
    driver.quit()


class Browser:
    """The steps a person takes in the dashboard, each checked to render
    (Horizon's page, its CSS loaded, no error page) and screenshot."""

    def __init__(self, driver, dashboard, shots):
        self.driver = driver
        self.url, self.region = dashboard
        self.shots = shots
        self.count = 0

    def get(self, path):
        self.driver.get(self.url + path)
        self.rendered()

    def rendered(self):
        """Assert the page is Horizon's, styled, and not an error page."""
        driver = self.driver
        WebDriverWait(driver, WAIT).until(
            lambda d: d.execute_script(
                'return document.readyState') == 'complete')
        title = driver.title
        body = driver.find_element(By.TAG_NAME, 'body').text
        assert 'Server Error' not in title + body, body[:2000]
        assert 'Traceback' not in driver.page_source
        # The compressed stylesheets loaded: Horizon's navbar is styled
        # (Bootstrap's fixed top bar), not an unstyled list.
        rules = driver.execute_script(
            'return Array.from(document.styleSheets).reduce('
            '(n, s) => { try { return n + s.cssRules.length } '
            'catch (e) { return n } }, 0)')
        assert rules > 1000, 'only %d CSS rules: static files missing' % rules

    def shot(self, name):
        self.count += 1
        time.sleep(0.5)          # let Angular finish drawing the page
        path = self.shots / ('%02d-%s.png' % (self.count, name))
        assert self.driver.save_screenshot(str(path)), path
        return path

    def login(self, user):
        self.driver.delete_all_cookies()
        self.get('/auth/login/')
        if self.count == 0:
            self.shot('login')
        self.driver.find_element(By.ID, 'id_username').send_keys(
            user['username'])
        self.driver.find_element(By.ID, 'id_password').send_keys(
            user['password'])
        self.driver.find_element(By.ID, 'loginBtn').click()
        WebDriverWait(self.driver, WAIT).until(
            lambda d: '/auth/login' not in d.current_url)
        self.rendered()
        assert user['username'] in self.text(), self.text()[:1000]
        # Magnum is in the test's own region: chosen as a person would
        # in the header's region menu.
        self.get('/auth/switch_services_region/%s/?next=%s' % (
            self.region, CLUSTERS))
        self.wait_text(self.region)

    def text(self):
        return self.driver.find_element(By.TAG_NAME, 'body').text

    def wait_text(self, *texts, timeout=WAIT):
        """Wait until every one of texts is on the page."""
        try:
            WebDriverWait(self.driver, timeout, 0.5).until(
                lambda d: all(t in self.text() for t in texts))
        except se.TimeoutException:
            raise AssertionError('%s not on %s:\n%s' % (
                texts, self.driver.current_url, self.text()[:3000]))

    def row(self, name):
        """The table row (tr) whose name link is name."""
        return WebDriverWait(self.driver, WAIT, 0.5).until(
            ec.presence_of_element_located((By.XPATH, (
                '//tr[.//a[normalize-space()="%s"]]' % name))))

    def row_action(self, name, action):
        """Click action in the row's actions (the button or its menu)."""
        row = self.row(name)
        buttons = row.find_elements(By.XPATH, (
            './/*[self::button or self::a][normalize-space()="%s"]'
            % action))
        visible = [b for b in buttons if b.is_displayed()]
        if not visible:
            row.find_element(By.CSS_SELECTOR, '.dropdown-toggle').click()
            visible = [b for b in row.find_elements(By.XPATH, (
                './/*[self::button or self::a][normalize-space()="%s"]'
                % action)) if b.is_displayed()]
        assert visible, '%s: no %r action' % (name, action)
        visible[0].click()

    def toolbar_button(self, text):
        return WebDriverWait(self.driver, WAIT, 0.5).until(
            ec.element_to_be_clickable((By.XPATH, (
                '//button[normalize-space()="%s"]' % text))))

    def confirm(self):
        """Click the open dialog's button that is not Cancel (Submit,
        Delete ...); returns its text."""
        def button(driver):
            found = [b for b in driver.find_elements(By.CSS_SELECTOR, (
                '.modal-footer button')) if b.is_displayed() and
                b.is_enabled() and b.text.strip() not in ('Cancel', '')]
            return found[-1] if found else None
        found = WebDriverWait(self.driver, WAIT, 0.5).until(button)
        text = found.text.strip()
        found.click()
        return text

    def error_toast(self, timeout=WAIT):
        """The text of Horizon's error message (its toast)."""
        return self.toast('danger', timeout)

    # -- magnum-ui's create forms (angular-schema-form in a modal) -------

    def modal(self):
        """The open dialog, once it is drawn."""
        return WebDriverWait(self.driver, WAIT, 0.5).until(
            ec.visibility_of_element_located((By.CSS_SELECTOR, (
                '.modal-dialog'))))

    def tab(self, title):
        """Open the form's tab of that title (the wizard's side menu)."""
        link = WebDriverWait(self.driver, WAIT, 0.5).until(
            ec.element_to_be_clickable((By.XPATH, (
                '//div[contains(@class, "modal-dialog")]//ul[contains('
                '@class, "nav")]//a[normalize-space()="%s"]' % title))))
        link.click()

    def field(self, name):
        """The visible input or select of the form named name."""
        return WebDriverWait(self.driver, WAIT, 0.5).until(
            ec.visibility_of_element_located((By.CSS_SELECTOR, (
                '.modal-dialog [name="%s"]' % name))))

    def options(self, name):
        return [o.text.strip() for o in Select(self.field(name)).options]

    def choose(self, name, text):
        """Choose the option text of select name, once the form has
        loaded its choices (from Glance, Nova, Neutron or Magnum)."""
        try:
            WebDriverWait(self.driver, WAIT, 0.5).until(
                lambda d: text in self.options(name))
        except se.TimeoutException:
            raise AssertionError('%s: no option %r among %s' % (
                name, text, self.options(name)))
        Select(self.field(name)).select_by_visible_text(text)

    def fill(self, name, text):
        element = self.field(name)
        element.clear()
        element.send_keys(text)

    def check(self, name, checked=True):
        """Tick (or untick) checkbox name, by its label as a person
        would (Horizon's themed checkboxes hide the input itself)."""
        box = self.driver.find_element(By.CSS_SELECTOR, (
            '.modal-dialog input[type="checkbox"][name="%s"]' % name))
        if box.is_selected() != checked:
            self.driver.find_element(By.CSS_SELECTOR, (
                '.modal-dialog label[for="%s"]' % name)).click()
        assert box.is_selected() == checked, name

    def submit_form(self):
        """Click the dialog's primary button once the form is valid."""
        button = WebDriverWait(self.driver, WAIT, 0.5).until(
            ec.element_to_be_clickable((By.CSS_SELECTOR, (
                '.modal-footer .btn-primary'))))
        button.click()

    def toast(self, kind='success', timeout=WAIT):
        """The text of Horizon's message of that kind (its toast)."""
        toast = WebDriverWait(self.driver, timeout, 0.5).until(
            ec.visibility_of_element_located((By.CSS_SELECTOR, (
                '.toast-container .alert-%s, .messages .alert-%s' % (
                    kind, kind)))))
        return toast.text

    def close_modal(self):
        for button in self.driver.find_elements(By.XPATH, (
                '//div[contains(@class, "modal-footer")]'
                '//button[normalize-space()="Cancel"]')):
            if button.is_displayed():
                button.click()
        WebDriverWait(self.driver, WAIT, 0.5).until_not(
            lambda d: [m for m in d.find_elements(By.CSS_SELECTOR, '.modal')
                       if m.is_displayed()])


# -- what the API makes for the panels --------------------------------------

def _show(caller, path):
    """GET path of the deployment as caller, for the polls: a connection
    the API's gunicorn closes as it falls idle (keep-alive, 2 s) just when
    the poll reuses it is tried again, as any client of a GET would."""
    return caller.session.request(
        caller.deployment.url + path, 'GET', raise_exc=False,
        connect_retries=3, headers=dict(kh.LATEST))


def _wait_status(caller, uuid, wanted, timeout=CLUSTER_WAIT):
    def status():
        reply = _show(caller, '/v1/clusters/%s' % uuid)
        if reply.status_code == 404:
            return '404' in wanted and '404'
        body = reply.json()
        return body['status'] in wanted and body
    return processes.wait_for(status, timeout, 1,
                              message='cluster %s in %s' % (uuid, wanted))


@pytest.fixture(scope='module')
def member(cloud, deployment):
    return kh.Caller(cloud, deployment, cloud.projects['a']['users']['member'])


@pytest.fixture(scope='module')
def made(member):
    """A swarm-mode template and a one-worker cluster of the local driver
    made through the API (magnum-ui's forms cannot make them here), the
    cluster CREATE_COMPLETE. {'template': name/uuid, 'cluster': ...}."""
    template = kh.expect(member.post('/v1/clustertemplates', {
        'name': kh.unique('dash-swarm'), 'coe': 'swarm-mode',
        'server_type': 'container', 'image_id': docker_engine.IMAGE,
        'external_network_id': 'host', 'network_driver': 'docker',
        'driver': 'local_swarm', 'flavor_id': 'm1.small',
        'master_flavor_id': 'm1.small'}), 201, 'template').json()
    cluster = kh.expect(member.post('/v1/clusters', {
        'name': kh.unique('dash-cluster'),
        'cluster_template_id': template['uuid'],
        'master_count': 1, 'node_count': 1}), 202, 'cluster').json()
    body = _wait_status(member, cluster['uuid'],
                        ('CREATE_COMPLETE', 'CREATE_FAILED'))
    assert body['status'] == 'CREATE_COMPLETE', body
    state = {'template': template, 'cluster': body}
    yield state
    # Whatever a failed step left behind.
    if member.get('/v1/clusters/%s' % body['uuid']).status_code == 200:
        member.delete('/v1/clusters/%s' % body['uuid'])
        _wait_status(member, body['uuid'], ('404', 'DELETE_FAILED'))
    member.delete('/v1/clustertemplates/%s' % template['uuid'])


CLUSTERS = '/project/clusters/'
TEMPLATES = '/project/cluster_templates/'


# -- the steps ---------------------------------------------------------------

def test_member_sees_templates_and_clusters(cloud, browser, made):
    browser.login(cloud.projects['a']['users']['member'])
    browser.shot('member-logged-in')
    browser.get(TEMPLATES)
    browser.wait_text(made['template']['name'], made['template']['uuid'])
    browser.shot('cluster-templates')
    browser.get(CLUSTERS)
    browser.wait_text(made['cluster']['name'], 'CREATE_COMPLETE')
    browser.shot('clusters')


def test_cluster_detail_page(browser, made):
    cluster = made['cluster']
    browser.get(CLUSTERS)
    browser.row(cluster['name']).find_element(
        By.LINK_TEXT, cluster['name']).click()
    browser.wait_text('Record Properties', cluster['uuid'],
                      'CREATE_COMPLETE', made['template']['name'])
    browser.rendered()
    browser.shot('cluster-detail')


@pytest.fixture(scope='module')
def k8s_image(cloud, member, engine):
    """The Glance stand-in's Fedora CoreOS image (the one magnum-ui
    offers): its name, made a Docker image of the engine by tagging the
    Kubernetes stand-in node image with it
    (tools/cloud-in-a-box/apis/inventory.yaml, kubernetes_node_image)."""
    url = cloud.standin_apis()['image'] + '/v2/images'
    images = member.session.get(url, params={
        'os_distro': 'fedora-coreos'}).json()['images']
    assert len(images) == 1, images
    name = images[0]['name']
    repository, _, tag = name.rpartition(':')
    engine.images.get(kubernetes_node_image.build(engine)).tag(
        repository, tag)
    return name


@pytest.fixture(scope='module')
def formed(member):
    """What the create forms made ({'template': name, 'cluster': name,
    ...}); whatever a failed step left is deleted through the API."""
    state = {'template': kh.unique('dash-k8s'),
             'cluster': 'dashk8s%s' % uuid.uuid4().hex[:6],
             # Stacks that exist at once need ranges of their own
             # (the Nova stand-in's Docker networks).
             'cidr': '10.%d.%d.0/24' % (random.randint(160, 250),
                                        random.randint(0, 255))}
    yield state
    # Whatever a failed step left behind (looked up by name: a step may
    # have failed before it read the uuid).
    reply = member.get('/v1/clusters/%s' % state['cluster'])
    if reply.status_code == 200:
        member.delete('/v1/clusters/%s' % reply.json()['uuid'])
        _wait_status(member, reply.json()['uuid'], ('404', 'DELETE_FAILED'),
                     timeout=K8S_WAIT)
    member.delete('/v1/clustertemplates/%s' % state['template'])


def test_create_template_from_the_form(browser, member, formed, k8s_image):
    """magnum-ui's Create Cluster Template form fills its choices from
    the test cloud's Glance, Nova and Neutron stand-ins; submitted, Magnum
    checks each choice against them and the image's os_distro chooses
    the Heat Kubernetes driver."""
    browser.get(TEMPLATES)
    browser.toolbar_button('Create Cluster Template').click()
    browser.modal()
    browser.fill('name', formed['template'])
    # The only engine the form offers.
    assert browser.options('coe') == [
        'Choose a Container Orchestration Engine', 'Kubernetes']
    browser.choose('coe', 'Kubernetes')
    browser.shot('create-template-info')
    browser.tab('Node Spec')
    # Only the images whose os_distro magnum-ui knows (not the swarm
    # node image, os_distro debian).
    assert browser.options('image_id')[1:] == [k8s_image]
    browser.choose('image_id', k8s_image)
    browser.choose('keypair_id', 'magnum-test')
    browser.choose('flavor_id', 'm1.medium')
    browser.choose('master_flavor_id', 'm1.medium')
    browser.shot('create-template-node-spec')
    browser.tab('Network')
    browser.choose('network_driver', 'Flannel')
    browser.choose('external_network_id', 'public')
    # Floating IPs would be made up (the stand-ins' 203.0.113.0/24, which
    # nobody routes): the cluster is reached at its nodes' own addresses.
    browser.check('floating_ip_enabled', False)
    browser.shot('create-template-network')
    browser.tab('Labels')
    browser.fill('labels', 'fixed_subnet_cidr=%s' % formed['cidr'])
    browser.submit_form()
    message = browser.toast('success')
    assert 'successfully created' in message, message
    browser.get(TEMPLATES)
    browser.wait_text(formed['template'])
    browser.shot('template-created')
    template = kh.expect(member.get('/v1/clustertemplates/%s' % (
        formed['template'])), 200, 'template').json()
    # What Magnum made of the form: the stand-in Glance's os_distro
    # chose the driver; the names are the form's choices.
    assert template['coe'] == 'kubernetes'
    assert template['cluster_distro'] == 'fedora-coreos'
    assert template['driver'] == 'k8s_vm'
    assert template['image_id'] == k8s_image
    assert template['keypair_id'] == 'magnum-test'
    assert template['flavor_id'] == 'm1.medium'
    assert template['network_driver'] == 'flannel'
    assert template['floating_ip_enabled'] is False
    assert template['labels']['fixed_subnet_cidr'] == formed['cidr']
    formed['template_uuid'] = template['uuid']


def test_magnum_refuses_what_the_standins_do_not_have(member, k8s_image):
    """What the forms' choices are checked against: Magnum's look-ups in
    the stand-in Glance, Nova and Neutron refuse a name they do not have
    at once (400, or 404 for a keypair, the API contract's status),
    naming the field; an image whose os_distro no Kubernetes driver runs
    is refused too. Nothing is made."""
    good = {'coe': 'kubernetes', 'image_id': k8s_image,
            'flavor_id': 'm1.medium', 'master_flavor_id': 'm1.small',
            'external_network_id': 'public', 'network_driver': 'flannel',
            'fixed_network': 'private', 'fixed_subnet': 'private-subnet'}
    for field, value, expected in (
            ('image_id', 'no-such-image', "image_id 'no-such-image'"),
            ('image_id', 'magnum/swarm-node:bookworm-1', 'debian'),
            ('flavor_id', 'm1.huge', "flavor_id 'm1.huge'"),
            ('external_network_id', 'private', 'is not external'),
            ('fixed_subnet', 'baremetal-subnet', 'not in fixed_network')):
        reply = kh.expect(member.post('/v1/clustertemplates', dict(
            good, name=kh.unique('refused'), **{field: value})), 400, field)
        assert expected in reply.text, reply.text
    template = kh.expect(member.post('/v1/clustertemplates', dict(
        good, name=kh.unique('checked'))), 201, 'template').json()
    try:
        assert template['driver'] == 'k8s_vm', template
        reply = kh.expect(member.post('/v1/clusters', {
            'name': kh.unique('refused'), 'keypair': 'no-such-key',
            'cluster_template_id': template['uuid']}), 404, 'keypair')
        assert "keypair 'no-such-key'" in reply.text, reply.text
    finally:
        kh.expect(member.delete('/v1/clustertemplates/%s' % (
            template['uuid'])), 204, 'template deleted')


def test_create_cluster_from_the_form(browser, member, formed, deployment):
    """The Create Cluster form (its template, availability zone, keypair,
    flavors and networks from Magnum and the stand-ins); submitted, the
    conductor's Heat driver builds the cluster's stack in the cloud's
    Heat, and the panel shows the cluster CREATE_IN_PROGRESS, with Resize
    not offered (the conductor held meanwhile, so that the cluster cannot
    complete under the test's eyes)."""
    assert 'template_uuid' in formed, 'no template from the form'
    browser.get(CLUSTERS)
    browser.toolbar_button('Create Cluster').click()
    browser.modal()
    browser.fill('name', formed['cluster'])
    browser.choose('cluster_template_id', formed['template'])
    # One availability zone and one keypair: the form chooses them.
    assert browser.options('availability_zone') == [
        'Choose an Availability Zone', 'nova']
    browser.choose('keypair', 'magnum-test')
    browser.shot('create-cluster-details')
    browser.tab('Size')
    # magnum-ui offers flavors of 2 vCPUs and 2048 MB and more only.
    assert browser.options('flavor_id')[1:] == ['m1.medium']
    browser.fill('node_count', '1')
    browser.choose('master_flavor_id', 'm1.medium')
    browser.choose('flavor_id', 'm1.medium')
    browser.shot('create-cluster-size')
    browser.submit_form()
    message = browser.toast('success')
    assert 'successfully created' in message, message
    # The create was accepted (202); until the conductor goes on, the
    # cluster stays CREATE_IN_PROGRESS, however fast its stack and nodes
    # would be ready.
    with held_conductor(deployment):
        browser.get(CLUSTERS)
        browser.wait_text(formed['cluster'], 'CREATE_IN_PROGRESS')
        browser.shot('cluster-create-in-progress')
        cluster = kh.expect(member.get(
            '/v1/clusters/%s' % formed['cluster']), 200, 'cluster').json()
        assert cluster['cluster_template_id'] == formed['template_uuid']
        assert cluster['master_count'] == 1 and cluster['node_count'] == 1
        assert cluster['keypair'] == 'magnum-test'
        formed['cluster_uuid'] = cluster['uuid']
        resize_is_not_offered_while_created(browser, member, formed)


def resize_is_not_offered_while_created(browser, member, formed):
    """magnum-ui offers Resize (and Rolling Upgrade) only for a cluster in
    a *_COMPLETE status: in the row's menu of the cluster still
    CREATE_IN_PROGRESS both are disabled. Magnum refuses the resize too
    (409, saying why), as the API shows."""
    browser.get(CLUSTERS)
    row = browser.row(formed['cluster'])
    row.find_element(By.CSS_SELECTOR, '.dropdown-toggle').click()
    items = WebDriverWait(browser.driver, WAIT, 0.5).until(
        lambda d: {li.text.strip(): 'disabled' in li.get_attribute('class')
                   for li in row.find_elements(By.CSS_SELECTOR, (
                       '.dropdown-menu > li')) if li.text.strip()})
    browser.shot('resize-not-offered-while-creating')
    assert items['Resize Cluster'] is True, items
    assert items['Rolling Cluster Upgrade'] is True, items
    assert items['Delete Cluster'] is False, items
    row.find_element(By.CSS_SELECTOR, '.dropdown-toggle').click()
    reply = kh.expect(member.post(
        '/v1/clusters/%s/actions/resize' % formed['cluster_uuid'],
        {'node_count': 2}), 409, 'resize while creating')
    assert 'CREATE_IN_PROGRESS' in reply.text, reply.text
    body = member.get('/v1/clusters/%s' % formed['cluster_uuid']).json()
    assert body['status'] == 'CREATE_IN_PROGRESS', body
    assert body['node_count'] == 1


def test_resize_through_the_form(browser, member, made):
    """The Resize form reads the cluster's nodegroups (default-worker's
    node count) and the conductor really adds a worker; the panel shows
    UPDATE_IN_PROGRESS then UPDATE_COMPLETE."""
    cluster = made['cluster']
    browser.get(CLUSTERS)
    browser.row_action(cluster['name'], 'Resize Cluster')
    count = WebDriverWait(browser.driver, WAIT, 0.5).until(
        ec.visibility_of_element_located((By.NAME, 'node_count')))
    assert count.get_attribute('value') == '1'
    count.clear()
    count.send_keys('2')
    browser.shot('resize-form')
    assert browser.confirm() == 'Submit'
    browser.wait_text('UPDATE_IN_PROGRESS', timeout=CLUSTER_WAIT)
    browser.shot('resize-in-progress')
    body = _wait_status(member, cluster['uuid'],
                        ('UPDATE_COMPLETE', 'UPDATE_FAILED'))
    assert body['status'] == 'UPDATE_COMPLETE', body
    assert body['node_count'] == 2
    browser.get(CLUSTERS)
    browser.wait_text(cluster['name'], 'UPDATE_COMPLETE')
    browser.shot('resize-complete')


def test_api_error_shows_as_horizon_message(browser, made):
    """Deleting a template a cluster uses: the API's 400 is Horizon's
    error message, the row stays, the page works."""
    template = made['template']
    browser.get(TEMPLATES)
    browser.row_action(template['name'], 'Delete Cluster Template')
    browser.confirm()
    message = browser.error_toast()
    browser.shot('template-in-use-error')
    assert 'Unable to delete cluster template: %s' % template['name'] in \
        message, message
    browser.get(TEMPLATES)
    browser.wait_text(template['name'])


def test_cluster_from_the_form_reaches_create_complete(browser, member,
                                                       formed):
    """The form's cluster: Heat builds its stack on the cloud's stand-ins,
    its Kubernetes stand-in nodes register with the master's stand-in
    API, and the conductor, having seen /readyz and both nodes Ready,
    makes it CREATE_COMPLETE: the panel shows it, and its detail page its
    API address and Kubernetes version."""
    assert 'cluster_uuid' in formed, 'no cluster from the form'
    cluster = _wait_status(member, formed['cluster_uuid'], (
        'CREATE_COMPLETE', 'CREATE_FAILED'), timeout=K8S_WAIT)
    assert cluster['status'] == 'CREATE_COMPLETE', cluster
    # No floating IPs (the template's choice): the nodes' addresses are
    # on the subnet the template's label gave, where the Nova stand-in's
    # containers are.
    subnet = ipaddress.ip_network(formed['cidr'])
    assert len(cluster['master_addresses']) == 1
    assert len(cluster['node_addresses']) == 1
    for address in cluster['master_addresses'] + cluster['node_addresses']:
        assert ipaddress.ip_address(address) in subnet, cluster
    assert cluster['api_address'] == 'https://%s:6443' % (
        cluster['master_addresses'][0])
    assert cluster['coe_version'], cluster
    browser.get(CLUSTERS)
    browser.wait_text(formed['cluster'], 'CREATE_COMPLETE')
    browser.shot('k8s-cluster-create-complete')
    browser.row(formed['cluster']).find_element(
        By.LINK_TEXT, formed['cluster']).click()
    browser.wait_text('Record Properties', formed['cluster_uuid'],
                      'CREATE_COMPLETE', cluster['api_address'],
                      cluster['coe_version'])
    browser.rendered()
    browser.shot('k8s-cluster-detail')
    formed['coe_version'] = cluster['coe_version']


def test_resize_the_kubernetes_cluster_from_the_dashboard(browser, member,
                                                          formed):
    """Resize, offered now that the cluster is CREATE_COMPLETE: the form
    reads default-worker's node count (1); 2 submitted, the conductor
    adds a server to the stack, and once its stand-in node is Ready the
    cluster is UPDATE_COMPLETE, which the panel shows; the nodegroup has
    two nodes, each a Ready node of the cluster's API."""
    assert 'coe_version' in formed, \
        'the cluster from the form never completed'
    browser.get(CLUSTERS)
    browser.row_action(formed['cluster'], 'Resize Cluster')
    count = WebDriverWait(browser.driver, WAIT, 0.5).until(
        ec.visibility_of_element_located((By.NAME, 'node_count')))
    assert count.get_attribute('value') == '1'
    count.clear()
    count.send_keys('2')
    browser.shot('k8s-resize-form')
    assert browser.confirm() == 'Submit'
    body = _wait_status(member, formed['cluster_uuid'],
                        ('UPDATE_COMPLETE', 'UPDATE_FAILED'),
                        timeout=K8S_WAIT)
    assert body['status'] == 'UPDATE_COMPLETE', body
    assert body['node_count'] == 2 and len(body['node_addresses']) == 2
    groups = {ng['name']: ng for ng in _show(
        member, '/v1/clusters/%s/nodegroups' % formed['cluster_uuid']
    ).json()['nodegroups']}
    assert groups['default-worker']['node_count'] == 2
    nodes = _show(member, '/v1/clusters/%s/nodes' % (
        formed['cluster_uuid'])).json()['nodes']
    assert sorted((n['role'], n['status']) for n in nodes) == [
        ('master', 'Ready'), ('worker', 'Ready'), ('worker', 'Ready')], nodes
    browser.get(CLUSTERS)
    browser.wait_text(formed['cluster'], 'UPDATE_COMPLETE')
    browser.shot('k8s-resize-complete')


def test_reader_cannot_delete(cloud, browser, member, made):
    """A reader sees the panels; deleting the member's cluster is refused
    by the API (403) and shown as Horizon's error message. (magnum-ui
    shows every action to everyone: Horizon has no container-infra
    policy file; the API is what refuses.)"""
    browser.login(cloud.projects['a']['users']['reader'])
    browser.get(CLUSTERS)
    browser.wait_text(made['cluster']['name'])
    browser.row_action(made['cluster']['name'], 'Delete Cluster')
    browser.confirm()
    message = browser.error_toast()
    browser.shot('reader-delete-refused')
    assert 'Unable to delete cluster: %s' % made['cluster']['name'] in \
        message, message
    assert member.get('/v1/clusters/%s' % made['cluster']['uuid']).json()[
        'status'] == 'UPDATE_COMPLETE'


def test_member_deletes_clusters_then_templates(cloud, browser, member,
                                                made, formed):
    """The member deletes, from the rows' menus, the swarm cluster (the
    local driver's, gone in seconds), the Kubernetes cluster from the
    form (its stack deleted from Heat), then both templates."""
    browser.login(cloud.projects['a']['users']['member'])
    swarm, k8s = made['cluster'], formed.get('cluster_uuid')
    browser.get(CLUSTERS)
    browser.row_action(swarm['name'], 'Delete Cluster')
    browser.confirm()
    # The local driver deletes in seconds: the list the action reloads
    # shows DELETE_IN_PROGRESS or no row any more; the API says which.
    browser.shot('cluster-deleting')
    _wait_status(member, swarm['uuid'], ('404',))
    assert k8s, 'no cluster from the form'
    # From microversion 1.13 the stack's id is the cluster_id.
    stack_id = _show(member, '/v1/clusters/%s' % k8s).json()['cluster_id']
    assert stack_id, 'the cluster from the form has no stack'
    browser.get(CLUSTERS)
    browser.row_action(formed['cluster'], 'Delete Cluster')
    browser.confirm()
    # Horizon takes the row out at once; the list read again shows what
    # Magnum says: DELETE_IN_PROGRESS while Heat deletes the stack.
    browser.get(CLUSTERS)
    WebDriverWait(browser.driver, WAIT, 0.5).until(
        lambda d: 'Displaying' in browser.text() and (
            formed['cluster'] not in browser.text() or
            'DELETE_IN_PROGRESS' in browser.text()))
    browser.shot('k8s-cluster-deleting')
    _wait_status(member, k8s, ('404',), timeout=K8S_WAIT)
    assert cloud.heat(member.user).get(stack_id) is None
    browser.get(CLUSTERS)
    WebDriverWait(browser.driver, WAIT, 1).until(
        lambda d: swarm['name'] not in browser.text() and
        formed['cluster'] not in browser.text())
    browser.shot('clusters-deleted')
    for name, uuid_ in ((made['template']['name'], made['template']['uuid']),
                        (formed['template'], formed['template_uuid'])):
        browser.get(TEMPLATES)
        browser.row_action(name, 'Delete Cluster Template')
        browser.confirm()
        processes.wait_for(lambda: _show(member, '/v1/clustertemplates/%s' % (
            uuid_)).status_code == 404, WAIT, 1,
            message='template %s deleted' % name)
    browser.get(TEMPLATES)
    WebDriverWait(browser.driver, WAIT, 1).until(
        lambda d: made['template']['name'] not in browser.text() and
        formed['template'] not in browser.text())
    browser.shot('templates-deleted')
