"""The web inbox's flows beyond the first screen, in a real Chromium: label filters in the URL,
@ completion and the notification it causes, one stream for all tabs, a stream that resumes
after a server restart, accessibility (axe-core), the installable app's service worker.

Its own `etiquette serve` (a restart must not disturb the other module's server), on the
example rules; customers write through signed webhooks to the real intake.
"""

import http.server
import json
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time

import pytest
from axe_selenium_python import Axe
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC

from test_web_inbox import (ETIQUETTE, ROOT, SECRET, accept_invitation, assert_clean_console,
                            button, field_labelled, list_names, new_browser, open_conversation,
                            post_signed, signed_webhook, wait)

CUSTOMERS = [
    ("33611110001", "Agathe Rendezvous", "J'ai réservé pour mardi"),
    ("33611110002", "Basile Commande", "Où en est ma commande CMD-111111 ?"),
    ("33611110003", "Clara Double", "J'ai réservé mais ma commande CMD-222222 n'arrive pas"),
    ("33611110004", "Denis Devis", "Je voudrais un devis"),
]


class FakeGraph(http.server.BaseHTTPRequestHandler):
    """The WhatsApp Cloud API's send endpoint on loopback: every reply gets a message id, which
    the tests' status webhooks then name."""

    sent = []

    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        wamid = f"wamid.out.{len(FakeGraph.sent)}"
        FakeGraph.sent.append((body, wamid))
        reply = json.dumps({"messaging_product": "whatsapp",
                            "contacts": [{"input": body.get("to"), "wa_id": body.get("to")}],
                            "messages": [{"id": wamid}]}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, *arguments):
        pass


def status_webhook(url, wamid, status, phone):
    post_signed(url, {"messaging_product": "whatsapp", "statuses": [
        {"id": wamid, "status": status, "timestamp": "1764064900", "recipient_id": phone}]})


class Server:
    """`etiquette serve` on one database and, after the first start, always the same port;
    replies go to a loopback Graph API."""

    def __init__(self):
        self.work = tempfile.mkdtemp(prefix="etiquette-browser-flows-")
        self.rules = os.path.join(self.work, "rules")
        shutil.copytree(os.path.join(ROOT, "rules"), self.rules)
        self.db = os.path.join(self.work, "etiquette.db")
        self.port = 0
        self.process = None
        self.url = None
        self.graph = http.server.ThreadingHTTPServer(("127.0.0.1", 0), FakeGraph)
        threading.Thread(target=self.graph.serve_forever, daemon=True).start()
        self.config = os.path.join(self.work, "server.json")
        with open(self.config, "w") as file:
            json.dump({"whatsapp": {
                "graph_base": f"http://127.0.0.1:{self.graph.server_address[1]}/v21.0",
                "phone_number_id": "100", "access_token": "browser-test-token"}}, file)

    def start(self):
        log_path = os.path.join(self.work, "server.log")
        log = open(log_path, "w+")
        env = dict(os.environ, ETIQUETTE_WHATSAPP_APP_SECRET=SECRET)
        self.process = subprocess.Popen(
            [ETIQUETTE, "serve", "--rules", self.rules, "--db", self.db, "--port", str(self.port),
             "--config", self.config],
            stdout=log, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and self.process.poll() is None:
            log.seek(0)
            found = re.search(r"listening on (http://[^ \s]+:(\d+))", log.read())
            if found:
                self.url, self.port = found.group(1), int(found.group(2))
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


def started(customers=(), first=100):
    """A running `Server` whose customers have each written their first message (signed
    webhooks numbered from `first`): what a module's `server` fixture yields."""
    running = Server()
    running.start()
    for index, (phone, name, text) in enumerate(customers):
        signed_webhook(running.url, phone, name, text, first + index)
    return running


def stopped(running):
    running.stop()
    running.graph.shutdown()
    shutil.rmtree(running.work, ignore_errors=True)


def signed_in(server, email):
    """A browser signed in as `email` through an invitation."""
    browser = new_browser()
    accept_invitation(browser, server.invite(email))
    return browser


@pytest.fixture(scope="module")
def server():
    running = started(CUSTOMERS)
    yield running
    stopped(running)


@pytest.fixture(scope="module")
def manon(server):
    browser = signed_in(server, "manon@exemple.fr")
    yield browser
    browser.quit()


def record_notifications(browser, url):
    """The member allowed notifications and looks at another tab (the page is hidden); the
    browser's Notification is wrapped to record what the page shows."""
    browser.execute_cdp_cmd("Browser.grantPermissions",
                            {"origin": url, "permissions": ["notifications"]})
    browser.execute_script("""
        window.shownNotifications = [];
        const Real = window.Notification;
        class Recording extends Real {
          constructor(title, options) {
            window.shownNotifications.push(options.body);
            super(title, options);
          }
        }
        Object.defineProperty(window, "Notification", { value: Recording });
        Object.defineProperty(document, "hidden", { get: () => true });
    """)


def live(browser):
    wait(browser).until(lambda b: b.find_element(By.TAG_NAME, "html").get_attribute("data-live")
                        == "connected")


def test_label_filters_combine_and_live_in_the_url(server, manon):
    manon.get(server.url + "/app")
    manon.find_element(By.XPATH, "//summary[normalize-space()='Filtrer par étiquette']").click()
    form = manon.find_element(By.CSS_SELECTOR, "form.filter-form")
    for name in ["Personnes Qui Ont Planifié", "Demandes de Commande"]:
        form.find_element(By.XPATH, f".//fieldset[1]//input[@value='{name}']").click()
    button(manon, "Filtrer").click()
    wait(manon).until(EC.url_contains("label="))
    names = {"Agathe Rendezvous", "Basile Commande", "Clara Double"}
    assert list_names(manon) == names
    # All of them: only the conversation that has both.
    manon.find_element(By.XPATH, "//summary[starts-with(normalize-space(), 'Filtrer par étiquette')]").click()
    manon.find_element(By.CSS_SELECTOR, "input[name='match'][value='all']").click()
    button(manon, "Filtrer").click()
    wait(manon).until(EC.url_contains("match=all"))
    assert list_names(manon) == {"Clara Double"}
    # A shared link shows the same list; the back button returns to the previous filter.
    shared = manon.current_url
    manon.back()
    wait(manon).until(lambda b: "match=all" not in b.current_url and list_names(b) == names)
    manon.get(shared)
    wait(manon).until(lambda b: list_names(b) == {"Clara Double"})
    # None of them.
    manon.get(server.url + "/app?without=Demandes%20de%20Commande")
    assert list_names(manon) == {"Agathe Rendezvous", "Denis Devis"}
    assert_clean_console(manon)


def test_mention_is_completed_and_notifies_the_mentioned_member(server, manon):
    bruno = new_browser()
    try:
        accept_invitation(bruno, server.invite("bruno@exemple.fr"))
        live(bruno)
        record_notifications(bruno, server.url)
        manon.get(server.url + "/app")
        open_conversation(manon, "Denis Devis")
        manon.find_element(By.XPATH, "//summary[normalize-space()='Note interne']").click()
        note = field_labelled(manon, "Note interne")
        note.send_keys("@bru")
        option = wait(manon).until(EC.visibility_of_element_located(
            (By.XPATH, "//ul[contains(@class,'mention-options')]/li[normalize-space()='@bruno@exemple.fr']")))
        # Only members who may view the conversation are offered: alice may not.
        options = manon.find_elements(By.CSS_SELECTOR, ".mention-options li")
        assert "@alice@exemple.fr" not in [item.text for item in options]
        assert option.get_attribute("aria-selected") == "true"
        note.send_keys(Keys.ENTER)
        assert note.get_attribute("value") == "@bruno@exemple.fr "
        note.send_keys("un devis pour toi")
        button(manon, "Ajouter la note").click()
        wait(manon).until(EC.visibility_of_element_located(
            (By.XPATH, "//li[contains(@class,'note')][.//p[contains(., 'un devis pour toi')]]")))
        wait(bruno).until(lambda b: len(b.execute_script("return window.shownNotifications")) >= 1)
        bruno.get(server.url + "/app?view=mentions")
        assert list_names(bruno) == {"Denis Devis"}
        assert_clean_console(manon)
    finally:
        bruno.quit()


def test_all_tabs_of_a_browser_share_one_stream(server):
    browser = new_browser()
    try:
        accept_invitation(browser, server.invite("chloe@exemple.fr"))
        live(browser)
        first = browser.current_window_handle
        browser.switch_to.new_window("tab")
        browser.get(server.url + "/app")
        live(browser)
        second = browser.current_window_handle
        leading = []
        for handle in [first, second]:
            browser.switch_to.window(handle)
            leading.append(browser.execute_script("return document.documentElement.dataset.leading"))
        assert leading == ["true", None], leading
        signed_webhook(server.url, "33611110005", "Elise Colis", "Mon colis CMD-333333 ?", 120)
        for handle in [second, first]:
            browser.switch_to.window(handle)
            wait(browser).until(lambda b: "Elise Colis" in list_names(b))
        # The leading tab closes: the other takes the stream over and stays live.
        browser.switch_to.window(first)
        browser.close()
        browser.switch_to.window(second)
        wait(browser).until(lambda b: b.execute_script(
            "return document.documentElement.dataset.leading") == "true")
        signed_webhook(server.url, "33611110006", "Fabien Livraison", "Ma livraison CMD-444444", 121)
        wait(browser).until(lambda b: "Fabien Livraison" in list_names(b))
        assert_clean_console(browser)
    finally:
        browser.quit()


def test_the_stream_resumes_after_a_server_restart_without_losing_or_repeating(server):
    browser = new_browser()
    try:
        accept_invitation(browser, server.invite("audit@exemple.fr"))
        live(browser)
        server.stop()
        wait(browser).until(lambda b: b.find_element(By.TAG_NAME, "html")
                            .get_attribute("data-live") == "reconnecting")
        server.start()
        # Committed while the page was reconnecting, or just after: shown once either way.
        signed_webhook(server.url, "33611110007", "Gisele Retour", "Où en est ma commande CMD-555555 ?",
                       130)
        wait(browser).until(lambda b: "Gisele Retour" in list_names(b))
        live(browser)
        rows = browser.find_elements(By.XPATH, "//span[@class='contact'][normalize-space()='Gisele Retour']")
        assert len(rows) == 1
        signed_webhook(server.url, "33611110008", "Hector Apres", "Mon colis CMD-666666 ?", 131)
        wait(browser).until(lambda b: "Hector Apres" in list_names(b))
    finally:
        browser.quit()


def serious_violations(browser):
    axe = Axe(browser)
    axe.inject()
    results = axe.run()
    return [(violation["id"], violation["impact"], [node["target"] for node in violation["nodes"]][:3])
            for violation in results["violations"] if violation["impact"] in ("serious", "critical")]


def test_no_serious_accessibility_violation(server, manon):
    login = new_browser()
    try:
        login.get(server.url + "/login")
        assert serious_violations(login) == []
    finally:
        login.quit()
    manon.get(server.url + "/app")
    assert serious_violations(manon) == []
    open_conversation(manon, "Clara Double")
    assert serious_violations(manon) == []
    phone = new_browser(phone=True)
    try:
        accept_invitation(phone, server.invite("dev@exemple.fr"))
        assert serious_violations(phone) == []
    finally:
        phone.quit()


def test_the_service_worker_caches_the_shell_only(server, manon):
    manon.get(server.url + "/app")
    cached = manon.execute_async_script("""
        const done = arguments[arguments.length - 1];
        navigator.serviceWorker.ready
          .then(() => caches.keys())
          .then((keys) => Promise.all(keys.map((key) => caches.open(key).then((c) => c.keys()))))
          .then((lists) => done(lists.flat().map((request) => new URL(request.url).pathname)))
          .catch((error) => done(["error: " + error]));
    """)
    assert cached, "the shell is cached"
    assert all(path.startswith("/static/") for path in cached), cached
    assert any(path.endswith(".css") for path in cached) and any(path.endswith(".js") for path in cached)
    manifest = manon.find_element(By.CSS_SELECTOR, "link[rel=manifest]").get_attribute("href")
    assert manifest.endswith("/manifest.webmanifest")


def last_tick(browser):
    ticks = browser.find_elements(By.CSS_SELECTOR, ".bubble.team .tick")
    return ticks[-1].get_attribute("class") if ticks else None


def test_a_reply_ticks_advance_with_whatsapp_status_webhooks(server, manon):
    manon.get(server.url + "/app")
    open_conversation(manon, "Basile Commande")
    field_labelled(manon, "Message").send_keys("Nous vérifions votre commande.")
    button(manon, "Envoyer").click()
    wait(manon).until(EC.visibility_of_element_located(
        (By.XPATH, "//li[contains(@class,'bubble')][.//p[normalize-space()='Nous vérifions votre commande.']]")))
    # Sent once the Graph API took it; then delivered and read as WhatsApp reports, live.
    try:
        wait(manon).until(lambda b: last_tick(b) == "tick sent")
    except Exception:
        print(FakeGraph.sent, last_tick(manon))
        print(open(os.path.join(server.work, "server.log")).read()[-3000:])
        raise
    wamid = next(w for body, w in FakeGraph.sent
                 if body.get("text", {}).get("body") == "Nous vérifions votre commande.")
    status_webhook(server.url, wamid, "delivered", "33611110002")
    wait(manon).until(lambda b: last_tick(b) == "tick delivered")
    status_webhook(server.url, wamid, "read", "33611110002")
    wait(manon).until(lambda b: last_tick(b) == "tick read")
    assert manon.find_elements(By.CSS_SELECTOR, ".bubble.team .tick")[-1].get_attribute("title") == "lu"
    assert_clean_console(manon)


def test_keep_human_and_leave_then_the_customer_writes_notifies_the_agent(server):
    bruno = new_browser()
    try:
        accept_invitation(bruno, server.invite("bruno@exemple.fr"))
        signed_webhook(server.url, "33611110009", "Ines Colis", "Mon colis CMD-777777 est perdu", 140)
        wait(bruno).until(lambda b: "Ines Colis" in list_names(b))
        open_conversation(bruno, "Ines Colis")
        button(bruno, "Prendre la main").click()
        wait(bruno).until(lambda b: "Humain · Vous" in b.find_element(By.CSS_SELECTOR, ".conversation-header").text)
        button(bruno, "Garder le mode humain et partir").click()
        live(bruno)
        record_notifications(bruno, server.url)
        signed_webhook(server.url, "33611110009", "Ines Colis", "Vous êtes là ?", 141)
        wait(bruno).until(lambda b: len(b.execute_script("return window.shownNotifications")) >= 1)
        wait(bruno).until(EC.visibility_of_element_located(
            (By.XPATH, "//li[contains(@class,'bubble')][.//p[normalize-space()='Vous êtes là ?']]")))
    finally:
        bruno.quit()


def test_sign_in_is_throttled_after_repeated_wrong_passwords(server):
    browser = new_browser()
    try:
        for _ in range(6):
            browser.get(server.url + "/login")
            browser.find_element(By.CSS_SELECTOR, "input[type=email]").send_keys("intrus@exemple.fr")
            browser.find_element(By.CSS_SELECTOR, "input[type=password]").send_keys("pas le bon")
            button(browser, "Se connecter").click()
            wait(browser).until(EC.visibility_of_element_located((By.XPATH, "//*[@role='alert']")))
        assert "Trop de tentatives" in browser.find_element(By.XPATH, "//*[@role='alert']").text
    finally:
        browser.quit()



def test_the_rule_editor_highlights_and_checks_as_you_type(server, manon):
    manon.get(server.url + "/app/rules?file=labels.etq")
    wait(manon).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".CodeMirror")))
    # Etiquette's keywords and strings are highlighted by the mode written for it.
    assert manon.find_elements(By.CSS_SELECTOR, ".CodeMirror .cm-keyword")
    assert manon.find_elements(By.CSS_SELECTOR, ".CodeMirror .cm-string")
    # An unknown label in a routing-like rule: the checker's error, underlined where it is.
    manon.execute_script("""
        const editor = document.querySelector('.CodeMirror').CodeMirror;
        editor.replaceRange('\\nlabel "Essai" {\\n  when label "Inconnue"\\n}\\n',
                            { line: editor.lastLine() + 1, ch: 0 });
        // CodeMirror draws the lines in view only: show the new ones.
        editor.scrollIntoView({ line: editor.lastLine(), ch: 0 });
    """)
    wait(manon).until(EC.presence_of_element_located((By.CSS_SELECTOR, ".CodeMirror-lint-mark-error")))
    assert "1 erreur" in manon.find_element(By.CSS_SELECTOR, ".summary").text
    # Undone, the draft is clean again.
    manon.execute_script("document.querySelector('.CodeMirror').CodeMirror.undo()")
    wait(manon).until(lambda b: not b.find_elements(By.CSS_SELECTOR, ".CodeMirror-lint-mark-error"))
    # « Essayer »: what the draft decides for a customer's message, and who may see it.
    field_labelled(manon, "Message du client").send_keys("Bonjour, j’AI RESERVE pour jeudi")
    button(manon, "Essayer").click()
    wait(manon).until(lambda b: "Personnes Qui Ont Planifié" in b.find_element(By.CSS_SELECTOR, ".try-result").text)
    result = manon.find_element(By.CSS_SELECTOR, ".try-result").text
    assert "« J'ai réservé » (labels.etq:" in result
    assert "alice@exemple.fr : peut répondre" in result
    assert serious_violations(manon) == []
    assert_clean_console(manon)
