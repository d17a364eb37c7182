"""The web inbox in a real Chromium (Debian's chromium + chromium-driver, PyPI's selenium).

A real `etiquette serve` on a free loopback port with a copy of the example rules; customers'
messages are signed webhooks posted to the real intake; members sign in through invitations
printed by `etiquette member invite`. Checks what a person sees: text, labels, roles. Waits
for conditions, never for fixed times. Every page is checked for console errors and CSP
violations (the browser's log).
"""

import hashlib
import hmac
import json
import os
import re
import shutil
import subprocess
import tempfile
import time
import urllib.error
import urllib.request

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
ETIQUETTE = os.environ.get("ETIQUETTE", os.path.join(ROOT, ".build", "debug", "etiquette"))
SECRET = "browser-test-app-secret"
PASSWORD = "un mot de passe bien long"
WAIT = 15

CUSTOMERS = [
    # (phone, name, text): what each member may see follows from the labels they apply.
    ("33611111111", "Camille Booking", "Bonjour, j'ai réservé un créneau pour jeudi"),
    ("33622222222", "Dominique Bug", "L'application plante au démarrage"),
    ("33633333333", "Estelle Commande", "Où en est ma commande CMD-123456 ?"),
]


def post_signed(url, value):
    """One webhook `value` (messages, statuses…) posted to the intake, signed as Meta signs."""
    body = json.dumps({"object": "whatsapp_business_account", "entry": [
        {"id": "1", "changes": [{"field": "messages", "value": value}]}]}).encode()
    signature = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    request = urllib.request.Request(url + "/webhooks/whatsapp", data=body, method="POST",
                                     headers={"Content-Type": "application/json",
                                              "X-Hub-Signature-256": signature})
    with urllib.request.urlopen(request, timeout=10) as response:
        assert response.status == 200


def signed_webhook(url, phone, name, text, index):
    message = {"from": phone, "id": f"wamid.browser.{index}", "timestamp": "1764064800",
               "type": "text", "text": {"body": text}}
    post_signed(url, {"messaging_product": "whatsapp", "messages": [message],
                      "contacts": [{"profile": {"name": name}, "wa_id": phone}]})


@pytest.fixture(scope="module")
def server():
    work = tempfile.mkdtemp(prefix="etiquette-browser-")
    rules = os.path.join(work, "rules")
    shutil.copytree(os.path.join(ROOT, "rules"), rules)
    db = os.path.join(work, "etiquette.db")
    log = open(os.path.join(work, "server.log"), "w+")
    env = dict(os.environ, ETIQUETTE_WHATSAPP_APP_SECRET=SECRET)
    process = subprocess.Popen(
        [ETIQUETTE, "serve", "--rules", rules, "--db", db, "--port", "0"],
        stdout=log, stderr=subprocess.STDOUT, env=env)
    url = None
    deadline = time.monotonic() + 60
    while url is None and time.monotonic() < deadline and process.poll() is None:
        log.seek(0)
        found = re.search(r"listening on (http://[^ \s]+:\d+)", log.read())
        if found:
            url = found.group(1)
        else:
            time.sleep(0.05)  # polling the log for the port: a condition, not a fixed wait
    if url is None:
        log.seek(0)
        process.kill()
        pytest.fail("the server did not start:\n" + log.read())
    for index, (phone, name, text) in enumerate(CUSTOMERS):
        signed_webhook(url, phone, name, text, index)

    def invite(email):
        return subprocess.run(
            [ETIQUETTE, "member", "invite", email, "--rules", rules, "--db", db,
             "--public-url", url],
            check=True, capture_output=True, text=True).stdout.strip()

    def revoke(email):
        subprocess.run([ETIQUETTE, "member", "add", email, "--rules", rules, "--db", db],
                       check=True, capture_output=True)
        subprocess.run([ETIQUETTE, "member", "revoke", email, "--rules", rules, "--db", db],
                       check=True, capture_output=True)

    yield {"url": url, "invite": invite, "revoke": revoke}
    process.terminate()
    process.wait(timeout=30)
    log.close()
    shutil.rmtree(work, ignore_errors=True)


def new_browser(phone=False, language="fr-FR,fr"):
    options = webdriver.ChromeOptions()
    # Accept-Language: the pages follow it (French first).
    options.add_argument("--lang=" + language.split(",")[0])
    options.add_experimental_option("prefs", {"intl.accept_languages": language})
    options.binary_location = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1280,900"]:
        options.add_argument(argument)
    if phone:
        # A 390×844 viewport (an iPhone 14's), which a headless window cannot be made as narrow.
        options.add_experimental_option("mobileEmulation", {
            "deviceMetrics": {"width": 390, "height": 844, "pixelRatio": 2, "touch": True}})
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    service = Service(executable_path=os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver"))
    return webdriver.Chrome(options=options, service=service)


def screenshot(browser, name):
    """Kept when SCREENSHOTS names a folder (the README's pictures are made this way)."""
    folder = os.environ.get("SCREENSHOTS")
    if folder:
        os.makedirs(folder, exist_ok=True)
        browser.save_screenshot(os.path.join(folder, name + ".png"))


def assert_clean_console(browser):
    """No console error and no CSP violation (Chromium logs both as SEVERE)."""
    problems = [entry["message"] for entry in browser.get_log("browser")
                if entry["level"] in ("SEVERE", "WARNING")]
    assert problems == [], problems


class LiveWait(WebDriverWait):
    """Live updates swap parts of the page: an element read a moment ago may be gone. Selenium
    calls that a stale element; Chromium, when the swap falls inside the read itself, answers
    an inspector error instead ("Node with given id does not belong to the document", seen in
    CI): the condition is asked again, as for a stale element."""

    def until(self, method, message=""):
        def asked_again_when_swapped(browser):
            try:
                return method(browser)
            except WebDriverException as error:
                if "does not belong to the document" in (error.msg or ""):
                    return False
                raise
        return super().until(asked_again_when_swapped, message)


def wait(browser):
    return LiveWait(browser, WAIT, ignored_exceptions=[StaleElementReferenceException])


def click(browser, xpath):
    """Clicks what `xpath` finds once the page has settled: a live update may swap the element
    between finding it and clicking it (the list refreshes on the member's own changes, seen
    in CI as a stale element), and it is then found again."""
    def clicked(browser):
        browser.find_element(By.XPATH, xpath).click()
        return True
    wait(browser).until(clicked)


def button(browser, text):
    return browser.find_element(By.XPATH, f"//button[normalize-space()='{text}']")


def buttons(browser, text):
    return browser.find_elements(By.XPATH, f"//button[normalize-space()='{text}']")


def field_labelled(browser, text):
    label = browser.find_element(By.XPATH, f"//label[normalize-space()='{text}']")
    return browser.find_element(By.ID, label.get_attribute("for"))


def list_names(browser):
    region = browser.find_element(By.XPATH, "//section[@aria-label='Conversations']")
    return {element.text for element in region.find_elements(By.CLASS_NAME, "contact")}


def accept_invitation(browser, url):
    browser.get(url)
    wait(browser).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "input[type=password]")))
    browser.find_element(By.CSS_SELECTOR, "input[type=password]").send_keys(PASSWORD)
    button(browser, "Enregistrer et se connecter").click()
    wait(browser).until(EC.url_contains("/app"))


def sign_in(browser, base, email, password):
    browser.get(base + "/login")
    browser.find_element(By.CSS_SELECTOR, "input[type=email]").send_keys(email)
    browser.find_element(By.CSS_SELECTOR, "input[type=password]").send_keys(password)
    button(browser, "Se connecter").click()


def open_conversation(browser, name):
    browser.find_element(By.XPATH, f"//a[.//span[normalize-space()='{name}']]").click()
    wait(browser).until(EC.visibility_of_element_located((By.XPATH, f"//h1[normalize-space()='{name}']")))


@pytest.fixture(scope="module")
def alice(server):
    browser = new_browser()
    accept_invitation(browser, server["invite"]("alice@exemple.fr"))
    yield browser
    browser.quit()


def test_invitation_signs_in_and_the_list_shows_what_alice_may_see(server, alice):
    assert list_names(alice) == {"Camille Booking"}
    assert "Toutes" in alice.find_element(By.XPATH, "//nav[@aria-label='Vues']").text
    assert_clean_console(alice)


def test_reply_appears_as_a_bubble(server, alice):
    alice.get(server["url"] + "/app")
    open_conversation(alice, "Camille Booking")
    # The label is explained by its trigger and where the rule is written.
    wait(alice).until(lambda b: "déclencheur « J'ai réservé »" in b.find_element(By.CLASS_NAME, "timeline").text)
    message = field_labelled(alice, "Message")
    message.send_keys("Merci Camille, à jeudi !")
    button(alice, "Envoyer").click()
    wait(alice).until(EC.visibility_of_element_located(
        (By.XPATH, "//li[contains(@class,'bubble')]/p[normalize-space()='Merci Camille, à jeudi !']")))
    screenshot(alice, "desktop")
    assert_clean_console(alice)


def test_take_over_button(server, alice):
    alice.get(server["url"] + "/app")
    open_conversation(alice, "Camille Booking")
    button(alice, "Prendre la main").click()
    wait(alice).until(EC.text_to_be_present_in_element(
        (By.CSS_SELECTOR, ".conversation-header .mode"), "Humain"))
    button(alice, "Transférer à l’IA et partir").click()
    wait(alice).until(EC.text_to_be_present_in_element(
        (By.CSS_SELECTOR, ".conversation-header .mode"), "IA"))
    assert_clean_console(alice)


def test_live_new_message_and_new_conversation_appear_without_reload(server, alice):
    alice.get(server["url"] + "/app")
    open_conversation(alice, "Camille Booking")
    wait(alice).until(lambda browser: browser.find_element(By.TAG_NAME, "html")
                      .get_attribute("data-live") == "connected")
    marker = alice.find_element(By.CLASS_NAME, "timeline")
    phone, name, _ = CUSTOMERS[0]
    signed_webhook(server["url"], phone, name, "Je serai là à 14 h", 10)
    wait(alice).until(EC.visibility_of_element_located(
        (By.XPATH, "//li[contains(@class,'bubble')]/p[normalize-space()='Je serai là à 14 h']")))
    # The page was not reloaded: its timeline was swapped, the composer kept.
    assert alice.execute_script("return document.readyState") == "complete"
    with pytest.raises(StaleElementReferenceException):
        marker.text  # the old timeline element was swapped out
    signed_webhook(server["url"], "33644444444", "Fanny Nouvelle", "J'ai planifié un rendez-vous", 11)
    wait(alice).until(lambda browser: "Fanny Nouvelle" in list_names(browser))
    assert_clean_console(alice)


def test_keyboard_shortcuts(server, alice):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys
    alice.get(server["url"] + "/app")
    body = alice.find_element(By.TAG_NAME, "body")
    body.send_keys("?")
    wait(alice).until(EC.visibility_of_element_located((By.ID, "shortcuts")))
    button(alice, "Fermer").click()
    body.send_keys("/")
    assert alice.switch_to.active_element.get_attribute("type") == "search"
    alice.switch_to.active_element.send_keys(Keys.ESCAPE)
    ActionChains(alice).key_down(Keys.ALT).send_keys("j").key_up(Keys.ALT).perform()
    wait(alice).until(EC.url_contains("/app/conversations/"))
    ActionChains(alice).send_keys(Keys.ESCAPE).perform()
    wait(alice).until(lambda browser: "/app/conversations/" not in browser.current_url)
    assert_clean_console(alice)


def test_post_without_csrf_token_is_refused(server, alice):
    alice.get(server["url"] + "/app")
    open_conversation(alice, "Camille Booking")
    session = alice.get_cookie("etiquette_session")["value"]
    path = alice.current_url.split(server["url"], 1)[1].split("?")[0]
    assert path.startswith("/app/conversations/")
    request = urllib.request.Request(
        server["url"] + path + "/messages", data=b"text=pirate", method="POST",
        headers={"Cookie": "etiquette_session=" + session,
                 "Content-Type": "application/x-www-form-urlencoded"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 403
    alice.refresh()
    assert "pirate" not in alice.find_element(By.CLASS_NAME, "timeline").text


def test_note_search_and_mark_unread(server, alice):
    alice.get(server["url"] + "/app")
    open_conversation(alice, "Camille Booking")
    alice.find_element(By.XPATH, "//summary[normalize-space()='Note interne']").click()
    field_labelled(alice, "Note interne").send_keys("Rappeler jeudi matin")
    button(alice, "Ajouter la note").click()
    wait(alice).until(EC.visibility_of_element_located(
        (By.XPATH, "//li[contains(@class,'note')][.//p[normalize-space()='Rappeler jeudi matin']]")))
    assert "Note interne" in alice.find_element(By.CSS_SELECTOR, "li.note").text
    button(alice, "Marquer comme non lu").click()
    # Back to the list (the conversation's own URL also contains "/app": wait for the list).
    wait(alice).until(lambda browser: browser.find_elements(By.XPATH, "//section[@aria-label='Conversations']")
                      and not browser.find_elements(By.CLASS_NAME, "timeline"))
    # The unread count in the tab's title.
    wait(alice).until(lambda browser: re.match(r"^\(\d+\) Conversations", browser.title),
                      f"title: {alice.title}")
    click(alice, "//nav[@aria-label='Vues']//a[starts-with(normalize-space(), 'Non lues')]")
    wait(alice).until(lambda browser: "Camille Booking" in list_names(browser))
    search = alice.find_element(By.CSS_SELECTOR, "input[type=search]")
    assert field_labelled(alice, "Rechercher") == search
    click(alice, "//a[normalize-space()='Toutes']")
    wait(alice).until(lambda browser: "view=" not in browser.current_url)
    search = wait(alice).until(EC.element_to_be_clickable((By.CSS_SELECTOR, "input[type=search]")))
    search.send_keys("planifié\n")
    wait(alice).until(lambda browser: list_names(browser) == {"Fanny Nouvelle"})
    click(alice, "//nav[@aria-label='Trier']//a[normalize-space()='Priorité']")
    wait(alice).until(EC.url_contains("sort=priority"))
    assert "q=planifi" in alice.current_url and list_names(alice) == {"Fanny Nouvelle"}
    assert_clean_console(alice)


def test_view_only_member_has_no_composer(server):
    browser = new_browser()
    try:
        accept_invitation(browser, server["invite"]("audit@exemple.fr"))
        assert {name for _, name, _ in CUSTOMERS} <= list_names(browser)
        open_conversation(browser, "Camille Booking")
        assert "Lecture seule" in browser.page_source
        assert browser.find_elements(By.XPATH, "//label[normalize-space()='Message']") == []
        assert buttons(browser, "Envoyer") == [] and buttons(browser, "Prendre la main") == []
        assert_clean_console(browser)
    finally:
        browser.quit()


def test_logout_then_wrong_password_then_sign_in(server, alice):
    alice.get(server["url"] + "/app")
    button(alice, "Se déconnecter").click()
    wait(alice).until(EC.url_contains("/login"))
    alice.get(server["url"] + "/app")
    wait(alice).until(EC.url_contains("/login"))
    sign_in(alice, server["url"], "alice@exemple.fr", "pas le bon mot de passe")
    wait(alice).until(EC.visibility_of_element_located((By.XPATH, "//*[@role='alert']")))
    assert "incorrect" in alice.find_element(By.XPATH, "//*[@role='alert']").text
    sign_in(alice, server["url"], "alice@exemple.fr", PASSWORD)
    wait(alice).until(EC.url_contains("/app"))
    assert "Camille Booking" in list_names(alice)
    # The browser's log of the refused sign-in holds its 401: read and dropped here.
    alice.get_log("browser")


def test_phone_shows_one_pane(server):
    browser = new_browser(phone=True)
    try:
        accept_invitation(browser, server["invite"]("bruno@exemple.fr"))
        assert browser.find_element(By.XPATH, "//section[@aria-label='Conversations']").is_displayed()
        open_conversation(browser, "Estelle Commande")
        assert not browser.find_element(By.XPATH, "//section[@aria-label='Conversations']").is_displayed()
        assert field_labelled(browser, "Message").is_displayed()
        # Nothing wider than the screen: no sideways scrolling on a phone.
        assert browser.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth")
        screenshot(browser, "phone")
        assert_clean_console(browser)
    finally:
        browser.quit()


def test_english_when_the_browser_prefers_it(server):
    browser = new_browser(language="en-US,en")
    try:
        browser.get(server["url"] + "/login")
        assert buttons(browser, "Sign in") != []
        assert browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "en"
        assert_clean_console(browser)
    finally:
        browser.quit()


def test_revoked_member_loses_access_at_the_next_request(server):
    browser = new_browser()
    try:
        accept_invitation(browser, server["invite"]("chloe@exemple.fr"))
        assert "Estelle Commande" in list_names(browser)
        server["revoke"]("chloe@exemple.fr")
        browser.refresh()
        wait(browser).until(EC.url_contains("/login"))
    finally:
        browser.quit()


def test_a_label_that_removes_access_removes_the_row_live(server):
    browser = new_browser()
    try:
        accept_invitation(browser, server["invite"]("bruno@exemple.fr"))
        wait(browser).until(lambda b: b.find_element(By.TAG_NAME, "html")
                            .get_attribute("data-live") == "connected")
        signed_webhook(server["url"], "33655555555", "Gaspard Colis", "Mon colis CMD-654321 ?", 20)
        wait(browser).until(lambda b: "Gaspard Colis" in list_names(b))
        # Support Technique is not bruno's: the conversation leaves his list without a reload.
        signed_webhook(server["url"], "33655555555", "Gaspard Colis", "Et l'application plante", 21)
        wait(browser).until(lambda b: "Gaspard Colis" not in list_names(b))
        assert_clean_console(browser)
    finally:
        browser.quit()
