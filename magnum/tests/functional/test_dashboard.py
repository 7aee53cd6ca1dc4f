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

What runs for real: Horizon and magnum-ui from PyPI, Keystone, Magnum's
API and conductor, the local driver's swarm-mode clusters on the private
Docker engine. Magnum gets a region of the shared cloud's catalog of its
own, under both service types (magnum-ui looks up ``container-infra``).

What cannot run here and is said so: magnum-ui's create forms offer only
Kubernetes and fill their required fields (image, flavors, key pairs,
networks) from Glance, Nova and Neutron APIs, which the cloud-in-a-box
does not have (its Nova and Neutron are Heat resource stand-ins, not
APIs); a Kubernetes cluster would not reach CREATE_COMPLETE here anyway
(its nodes cannot boot). So the forms are opened, and shown to report
what they miss as Horizon error messages, but never submitted; the
template and cluster the other steps use are made through the API with
the local driver, and their status changes (create, resize, delete) are
the conductor's real work, watched in the panels.

Every step writes a screenshot into the run's tmp dir
(``screenshots/NN-step.png``); with ``MAGNUM_DASHBOARD_SCREENSHOTS`` set
to a folder (doc/source/user/images/dashboard) they are copied there.
"""

import os
import shutil
import subprocess
import time

import pytest
from selenium import webdriver
from selenium.common import exceptions as se
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as ec
from selenium.webdriver.support.ui import WebDriverWait

from magnum.tests import db_backends
from magnum.tests.functional import cloud as cloud_box
from magnum.tests.functional import docker_engine
from magnum.tests.functional import keystone_helpers as kh
from magnum.tests.functional import processes
from magnum.tests.functional import services

SCRIPT = os.path.join(cloud_box.ROOT, 'tools', 'dashboard.sh')
CHROMIUM = '/usr/bin/chromium'
CHROMEDRIVER = '/usr/bin/chromedriver'
UP_TIMEOUT = 900          # the first install: pip, collectstatic, compress
WAIT = 60                 # a page, a toast, a row
CLUSTER_WAIT = 240        # the local driver's create, resize, delete


def _unavailable(message):
    if db_backends.in_ci():
        pytest.fail(message + '\n(CI=true: the dashboard tests must run)',
                    pytrace=False)
    pytest.skip(message)


@pytest.fixture(scope='module')
def deployment(cloud, migrated_db_url, docker_host, tmp_path_factory):
    magnum = kh.start_deployment(
        cloud, migrated_db_url, tmp_path_factory.mktemp('magnum'),
        docker_host, config={
            'cloud_validation': {'enabled': 'False'},
            # The swarm clusters the panels show run on this machine's
            # engine: the operator trusts project a with them.
            'local_driver': {'docker_host': docker_host,
                             'allowed_projects': cloud.projects['a']['id']}})
    yield magnum
    magnum.stop()


@pytest.fixture(scope='module')
def region(cloud, deployment):
    """A catalog region of the test's own with Magnum under both types."""
    with cloud.region_of_own({'container-infra': deployment.url,
                              cloud_box.MAGNUM_SERVICE_TYPE: deployment.url}
                             ) as name:
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
        toast = WebDriverWait(self.driver, timeout, 0.5).until(
            ec.visibility_of_element_located((By.CSS_SELECTOR, (
                '.toast-container .alert-danger, .messages .alert-danger'))))
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

def _wait_status(caller, uuid, wanted, timeout=CLUSTER_WAIT):
    def status():
        reply = caller.get('/v1/clusters/%s' % uuid)
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


def test_create_forms_report_what_the_cloud_lacks(browser):
    """magnum-ui's create forms open; they fill their required choices
    from Glance, Nova and Neutron, which this cloud does not have, and say
    so as Horizon error messages (the page stays usable)."""
    browser.get(TEMPLATES)
    browser.toolbar_button('Create Cluster Template').click()
    message = browser.error_toast()
    assert 'Unable to retrieve' in message, message
    # The only engine the form offers.
    engines = [[o.get_attribute('textContent').strip()
                for o in select.find_elements(By.TAG_NAME, 'option')]
               for select in browser.driver.find_elements(
                   By.CSS_SELECTOR, '.modal select')]
    assert ['Choose a Container Orchestration Engine', 'Kubernetes'] in \
        engines, engines
    browser.shot('create-template-form')
    browser.close_modal()
    browser.rendered()


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


def test_member_deletes_cluster_then_template(cloud, browser, member, made):
    browser.login(cloud.projects['a']['users']['member'])
    cluster, template = made['cluster'], made['template']
    browser.get(CLUSTERS)
    browser.row_action(cluster['name'], 'Delete Cluster')
    browser.confirm()
    # The local driver deletes in seconds: the list the action reloads
    # shows DELETE_IN_PROGRESS or no row any more; the API says which.
    browser.shot('cluster-deleting')
    _wait_status(member, cluster['uuid'], ('404',))
    browser.get(CLUSTERS)
    WebDriverWait(browser.driver, WAIT, 1).until(
        lambda d: cluster['name'] not in browser.text())
    browser.shot('cluster-deleted')
    browser.get(TEMPLATES)
    browser.row_action(template['name'], 'Delete Cluster Template')
    browser.confirm()
    processes.wait_for(lambda: member.get('/v1/clustertemplates/%s' % (
        template['uuid'])).status_code == 404, WAIT, 1,
        message='template deleted')
    browser.get(TEMPLATES)
    WebDriverWait(browser.driver, WAIT, 1).until(
        lambda d: template['name'] not in browser.text())
    browser.shot('template-deleted')
