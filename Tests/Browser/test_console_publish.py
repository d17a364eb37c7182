"""The admin console's way from a draft to the rules that serve, in a real Chromium: a misspelt
label fixed in one click, a message tried, saved as a test, the tests run, the change published
and deciding the next signed webhook, then rolled back from the history.

Its own `etiquette serve` on a copy of the example rules (publishing writes them).
"""

import os

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC

from test_web_inbox import (assert_clean_console, button, field_labelled, screenshot,
                            signed_webhook, wait)
from test_web_inbox_flows import serious_violations, signed_in, started, stopped


@pytest.fixture(scope="module")
def server():
    # Two customers ask a price in words the rules do not know yet.
    running = started([("33633330001", "Client Prix 0", "Bonjour, combien coûte l'abonnement ?"),
                       ("33633330002", "Client Prix 1", "Bonjour, combien coûte l'abonnement ?")],
                      first=800)
    yield running
    stopped(running)


@pytest.fixture(scope="module")
def manon(server):
    browser = signed_in(server, "manon@exemple.fr")
    yield browser
    browser.quit()


def editor_value(browser):
    return browser.execute_script("return document.querySelector('.CodeMirror').CodeMirror.getValue()")


def set_editor(browser, text):
    browser.execute_script(
        "const e = document.querySelector('.CodeMirror').CodeMirror; e.setValue(arguments[0]);"
        "e.scrollIntoView({ line: e.lastLine(), ch: 0 });", text)
    # The check of this text redraws the diagnostics above « Essayer »: a click during that
    # redraw lands where the button was. Wait for the page to settle on this text.
    wait(browser).until(lambda b: b.execute_script(
        "const e = document.querySelector('.CodeMirror').CodeMirror;"
        "return e.checkedText === e.getValue();"))


def try_message(browser, text):
    field = field_labelled(browser, "Message du client")
    field.clear()
    field.send_keys(text)
    # The previous answer goes first: the wait below is for this one.
    browser.execute_script("document.querySelector('.try-result').replaceChildren()")
    button(browser, "Essayer").click()
    wait(browser).until(lambda b: b.find_element(By.CSS_SELECTOR, ".try-result h3"))
    return browser.find_element(By.CSS_SELECTOR, ".try-result").text


def test_fix_try_save_test_publish_then_roll_back(server, manon):
    path = os.path.join(server.rules, "labels.etq")
    with open(path, encoding="utf-8") as file:
        original = file.read()
    manon.get(server.url + "/app/rules?file=labels.etq")
    wait(manon).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".CodeMirror")))
    assert editor_value(manon) == original

    # A misspelt label: the checker's diagnostic with its fix, applied in one click.
    set_editor(manon, original + '\nlabel "Essai" {\n  when label "Demandes de Comande"\n}\n')
    fix = wait(manon).until(EC.element_to_be_clickable(
        (By.XPATH, "//button[normalize-space()='Corriger : Demandes de Commande']")))
    fix.click()
    assert 'when label "Demandes de Commande"' in editor_value(manon)
    wait(manon).until(lambda b: not b.find_elements(By.CSS_SELECTOR, ".CodeMirror-lint-mark-error"))

    # A phrase added to « Demandes de Vente »: « Essayer » shows it decide the message.
    set_editor(manon, original)
    assert "Demandes de Vente" not in try_message(manon, "combien coûte le forfait ?")
    set_editor(manon, original.replace('any ["devis", ', 'any ["combien coûte", "devis", '))
    result = try_message(manon, "combien coûte le forfait ?")
    assert "Demandes de Vente" in result and "« combien coûte »" in result
    screenshot(manon, "console-rules")

    # Saved as a test, and the tests run: all pass, the new one included.
    button(manon, "Enregistrer comme test").click()
    wait(manon).until(lambda b: "Test ajouté" in b.find_element(By.CSS_SELECTOR, ".notice").text)
    assert 'customer says "combien coûte le forfait ?"' in editor_value(manon)
    # « Enregistrer comme test » already showed a summary: wait for the page it goes away with.
    saved_summary = manon.find_element(By.CSS_SELECTOR, ".tests-summary")
    button(manon, "Lancer les tests").click()
    wait(manon).until(EC.staleness_of(saved_summary))
    summary = wait(manon).until(lambda b: b.find_element(By.CSS_SELECTOR, ".tests-summary").text)
    assert summary.endswith(", 0 en échec") and "réussi(s)" in summary
    with open(path, encoding="utf-8") as file:
        assert file.read() == original, "nothing is written before « Publier »"

    # « Voir l'impact » in a new tab: the two stored questions, now labelled, and why. (The
    # webhooks carry WhatsApp's timestamps of 2025: the period starts then.)
    manon.execute_script("document.getElementById('impact-from').value = '2025-01-01'")
    editor_tab = manon.current_window_handle
    button(manon, "Voir l’impact").click()
    wait(manon).until(lambda b: len(b.window_handles) == 2)
    manon.switch_to.window([h for h in manon.window_handles if h != editor_tab][0])
    wait(manon).until(lambda b: b.find_elements(By.CSS_SELECTOR, ".impact-group"))
    impact = manon.find_element(By.TAG_NAME, "main").text
    assert ('+2 conversations étiquetées "Demandes de Vente" à cause de la nouvelle phrase '
            '"combien coûte"') in impact, impact
    assert "Client Prix 0" in impact and "Client Prix 1" in impact
    manon.close()
    manon.switch_to.window(editor_tab)

    # Published with a message: on disk, and the next signed webhook is decided by it.
    field_labelled(manon, "Message de publication").send_keys("Ajoute « combien coûte »")
    button(manon, "Publier").click()
    wait(manon).until(lambda b: "Version 2 publiée" in b.find_element(By.CSS_SELECTOR, ".notice").text)
    with open(path, encoding="utf-8") as file:
        assert "combien coûte" in file.read()
    signed_webhook(server.url, "33622220001", "Eve Tarif", "Bonjour, combien coûte l'abonnement ?", 900)
    manon.get(server.url + "/app?label=Demandes+de+Vente")
    wait(manon).until(lambda b: "Eve Tarif" in b.find_element(By.TAG_NAME, "main").text
                      or "Eve Tarif" in b.page_source)

    # The history compares the versions and goes back to the first: itself version 3.
    manon.get(server.url + "/app/rules/history")
    rows = manon.find_elements(By.CSS_SELECTOR, "tr[data-version]")
    assert [row.get_attribute("data-version") for row in rows] == ["2", "1"]
    button(manon, "Comparer").click()
    diff = wait(manon).until(lambda b: b.find_element(By.CSS_SELECTOR, ".comparison")).text
    assert '+ ' in diff and "combien coûte" in diff
    assert serious_violations(manon) == []
    manon.find_element(
        By.CSS_SELECTOR, "tr[data-version='1'] button").click()
    wait(manon).until(lambda b: "Version 3 publiée" in b.find_element(By.CSS_SELECTOR, ".notice").text)
    with open(path, encoding="utf-8") as file:
        assert file.read() == original
    assert_clean_console(manon)
