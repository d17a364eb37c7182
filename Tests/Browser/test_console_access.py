"""The admin console's « Accès » and « Membres » in a real Chromium (issue 17, parts 5 and 6):
the member × label matrix read as a person reads it, « Qui peut voir cette conversation ? »
opened from a conversation, and no serious accessibility violation (axe-core) on the pages.

Its own `etiquette serve` on the example rules (the `server` fixture of test_web_inbox: a
module-scoped fixture, so this module starts its own), with its customers' signed webhooks.
"""

from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from test_web_inbox import (accept_invitation, assert_clean_console, new_browser,
                            open_conversation, screenshot, server, wait)  # noqa: F401 (a fixture)
from test_web_inbox_flows import serious_violations


def matrix_cell(browser, member, label):
    """The matrix's cell for `member` (a row header) and `label` (a column header)."""
    table = browser.find_element(
        By.XPATH, "//table[caption[normalize-space()='Accès de chaque membre selon l’étiquette "
                  "de la conversation']]")
    headers = [header.text for header in table.find_elements(By.XPATH, "./thead/tr/th")]
    column = headers.index(label) + 1
    return table.find_element(
        By.XPATH, f"./tbody/tr[th[@scope='row'][starts-with(normalize-space(), '{member}')]]"
                  f"/*[{column}]")


def text(element):
    """What a person reads: the no-break spaces French sets around « » and : as spaces."""
    return element.text.replace("\xa0", " ")


def test_access_matrix_and_who_may_see_a_conversation(server):
    manon = new_browser()
    try:
        accept_invitation(manon, server["invite"]("manon@exemple.fr"))
        manon.get(server["url"] + "/app/access")
        wait(manon).until(EC.visibility_of_element_located(
            (By.XPATH, "//h1[normalize-space()='Accès']")))
        alice = text(matrix_cell(manon, "alice@exemple.fr", "Personnes Qui Ont Planifié"))
        assert alice.startswith("Répondre"), alice
        assert "équipe « Rendez-vous » : can reply labels" in alice, alice
        assert "(teams.etq:6)" in alice, alice
        bruno = text(matrix_cell(manon, "bruno@exemple.fr", "Personnes Qui Ont Planifié"))
        assert bruno.startswith("Aucun accès"), bruno
        assert "hors de : équipe « Service Client » : can reply all except" in bruno, bruno
        assert matrix_cell(manon, "manon@exemple.fr", "Sans étiquette").text.startswith("Gérer")
        screenshot(manon, "console-access")
        assert serious_violations(manon) == []
        assert_clean_console(manon)

        # From a conversation: the pane's link, then every member with the reason.
        manon.get(server["url"] + "/app")
        open_conversation(manon, "Camille Booking")
        manon.find_element(By.LINK_TEXT, "Qui peut voir cette conversation ?").click()
        wait(manon).until(EC.visibility_of_element_located(
            (By.XPATH, "//h1[normalize-space()='Qui peut voir cette conversation ?']")))
        assert "Camille Booking" in manon.find_element(By.TAG_NAME, "main").text
        alice = text(manon.find_element(By.XPATH, "//tr[th[normalize-space()='alice@exemple.fr']]"))
        assert "Répondre" in alice and "« Rendez-vous »" in alice, alice
        bruno = text(manon.find_element(By.XPATH, "//tr[th[normalize-space()='bruno@exemple.fr']]"))
        assert "Aucun accès" in bruno, bruno
        screenshot(manon, "console-conversation-access")
        assert serious_violations(manon) == []
        assert_clean_console(manon)

        manon.get(server["url"] + "/app/members")
        wait(manon).until(EC.visibility_of_element_located(
            (By.XPATH, "//h1[normalize-space()='Membres']")))
        screenshot(manon, "console-members")
        assert serious_violations(manon) == []
    finally:
        manon.quit()
