"""The console's dashboard in a real Chromium: a manager opens it, sees each figure as an SVG
chart with its accessible name and the numbers in a table beside it, without a serious
accessibility violation (axe-core) nor a console error.

Its own `etiquette serve` on the example rules; customers write through signed webhooks to the
real intake. The webhooks carry their own instant (25/11/2025, as the other browser tests), so
the test asks for that day rather than reading the machine's clock.
"""

import os
import re
import shutil
import subprocess
import tempfile
import time

import pytest
from axe_selenium_python import Axe
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from test_web_inbox import (ETIQUETTE, ROOT, SECRET, accept_invitation, assert_clean_console,
                            new_browser, signed_webhook, wait)

CUSTOMERS = [
    ("33611120001", "Aline Rendezvous", "J'ai réservé pour mardi"),
    ("33611120002", "Bruno Humain", "Je veux parler à un humain"),
    ("33611120003", "Cyril Devis", "Je voudrais un devis"),
]


class Server:
    """`etiquette serve` on a fresh database and a free port."""

    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="etiquette-browser-dashboard-")
        self.rules = os.path.join(self.work, "rules")
        shutil.copytree(os.path.join(ROOT, "rules"), self.rules)
        self.db = os.path.join(self.work, "etiquette.db")
        self.process = None
        self.url = None

    def start(self):
        log = open(os.path.join(self.work, "server.log"), "w+")
        env = dict(os.environ, ETIQUETTE_WHATSAPP_APP_SECRET=SECRET)
        self.process = subprocess.Popen(
            [ETIQUETTE, "serve", "--rules", self.rules, "--db", self.db, "--port", "0"],
            stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            log.seek(0)
            found = re.search(r"listening on (http://[^ \s]+:(\d+))", log.read())
            if found:
                self.url = found.group(1)
                return
            time.sleep(0.05)  # polling the log for the port: a condition, not a fixed wait
        log.seek(0)
        pytest.fail("the server did not start:\n" + log.read())

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=30)

    def invite(self, email):
        return subprocess.run(
            [ETIQUETTE, "member", "invite", email, "--rules", self.rules, "--db", self.db,
             "--public-url", self.url],
            check=True, capture_output=True, text=True).stdout.strip()


@pytest.fixture(scope="module")
def server():
    running = Server()
    running.start()
    for index, (phone, name, text) in enumerate(CUSTOMERS):
        signed_webhook(running.url, phone, name, text, 300 + index)
    yield running
    running.stop()
    shutil.rmtree(running.work, ignore_errors=True)


@pytest.fixture(scope="module")
def manon(server):
    browser = new_browser()
    accept_invitation(browser, server.invite("manon@exemple.fr"))
    yield browser
    browser.quit()


def serious_violations(browser):
    axe = Axe(browser)
    axe.inject()
    results = axe.run()
    return [(violation["id"], violation["impact"], [node["target"] for node in violation["nodes"]][:3])
            for violation in results["violations"] if violation["impact"] in ("serious", "critical")]


def figure(browser, heading):
    """The section of one figure, found by its heading as a person reads it."""
    return browser.find_element(By.XPATH, f"//section[h2[normalize-space()='{heading}']]")


def test_the_dashboard_shows_charts_and_their_numbers(server, manon):
    # From the console's navigation, as a manager gets there.
    manon.get(server.url + "/app/rules")
    manon.find_element(By.LINK_TEXT, "Tableau de bord").click()
    wait(manon).until(EC.url_contains("/app/dashboard"))
    wait(manon).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "svg[role='img']")))
    assert manon.find_element(By.TAG_NAME, "h1").text == "Tableau de bord"
    assert "Europe/Paris" in manon.find_element(By.TAG_NAME, "main").text
    # The day the webhooks were written.
    manon.get(server.url + "/app/dashboard?from=2025-11-25&to=2025-11-25")
    messages = figure(manon, "Messages reçus")
    chart = messages.find_element(By.CSS_SELECTOR, "svg[role='img']")
    assert chart.accessible_name.startswith("Messages reçus")
    assert len(chart.find_elements(By.CSS_SELECTOR, "rect")) == 1
    row = messages.find_element(By.XPATH, ".//table//tr[th[normalize-space()='25/11/2025']]")
    assert [cell.text for cell in row.find_elements(By.TAG_NAME, "td")] == ["3"]
    routed = figure(manon, "Conversations routées")
    header = [cell.text for cell in routed.find_elements(By.CSS_SELECTOR, "thead th")]
    assert header == ["Jour", "Vers l’IA", "Vers l’équipe", "Total"]
    row = routed.find_element(By.XPATH, ".//tbody/tr[th[normalize-space()='25/11/2025']]")
    assert [cell.text for cell in row.find_elements(By.TAG_NAME, "td")] == ["2", "1", "3"]
    # The form keeps the period, and the export names it.
    assert manon.find_element(By.NAME, "from").get_attribute("value") == "2025-11-25"
    export = manon.find_element(By.LINK_TEXT, "Exporter en CSV")
    assert export.get_attribute("href").endswith("/app/dashboard.csv?from=2025-11-25&to=2025-11-25")
    assert serious_violations(manon) == []
    assert_clean_console(manon)
