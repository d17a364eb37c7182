"""The console's dashboard in a real Chromium: a manager opens it, sees each figure as an SVG
chart with its accessible name and the numbers in a table beside it, without a serious
accessibility violation (axe-core) nor a console error.

Its own `etiquette serve` (test_web_inbox_flows' `started`) on the example rules; customers write through signed webhooks to the
real intake. The webhooks carry their own instant (25/11/2025, as the other browser tests), so
the test asks for that day rather than reading the machine's clock.
"""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from test_web_inbox import assert_clean_console, wait
from test_web_inbox_flows import serious_violations, signed_in, started, stopped

CUSTOMERS = [
    ("33611120001", "Aline Rendezvous", "J'ai réservé pour mardi"),
    ("33611120002", "Bruno Humain", "Je veux parler à un humain"),
    ("33611120003", "Cyril Devis", "Je voudrais un devis"),
]


@pytest.fixture(scope="module")
def server():
    running = started(CUSTOMERS, first=300)
    yield running
    stopped(running)


@pytest.fixture(scope="module")
def manon(server):
    browser = signed_in(server, "manon@exemple.fr")
    yield browser
    browser.quit()


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
