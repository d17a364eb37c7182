"""The web inbox over 10,000 conversations, in a real Chromium: keyset pages of 100, walked to
the end with nothing missing and nothing twice, alone and under a label filter.

Its own `etiquette serve`; the conversations come through the real intake, as signed WhatsApp
webhooks of 200 messages each (Meta batches messages the same way under load).
"""

import re
import shutil
import urllib.request
from html import unescape

import pytest
from selenium.webdriver.common.by import By

from test_web_inbox import accept_invitation, assert_clean_console, list_names, new_browser, wait
from test_web_inbox_flows import Server, post_signed

COUNT = 10_000
BATCH = 200


@pytest.fixture(scope="module")
def server():
    running = Server()
    running.start()
    for start in range(0, COUNT, BATCH):
        messages, contacts = [], []
        for index in range(start, start + BATCH):
            phone = f"3371{index:07d}"
            text = "Où en est ma commande ?" if index % 2 else "Bonjour, un devis ?"
            messages.append({"from": phone, "id": f"wamid.scale.{index}",
                             "timestamp": str(1764064800 + index), "type": "text",
                             "text": {"body": text}})
            contacts.append({"profile": {"name": f"Client {index:05d}"}, "wa_id": phone})
        post_signed(running.url, {"messaging_product": "whatsapp", "messages": messages,
                                  "contacts": contacts})
    yield running
    running.stop()
    running.graph.shutdown()
    shutil.rmtree(running.work, ignore_errors=True)


def walk(base, path, session):
    """Every page of a list by its « Conversations suivantes » links: the contacts in order."""
    names, pages, link = [], 0, path
    while link:
        request = urllib.request.Request(base + link, headers={"Cookie": "etiquette_session=" + session})
        with urllib.request.urlopen(request, timeout=60) as response:
            html = response.read().decode()
        names += [unescape(name) for name in re.findall(r'<span class="contact">([^<]*)</span>', html)]
        found = re.search(r'<p class="more"><a href="([^"]+)"', html)
        link = unescape(found.group(1)) if found else None
        pages += 1
    return names, pages


def test_ten_thousand_conversations_page_by_page(server):
    browser = new_browser()
    try:
        accept_invitation(browser, server.invite("manon@exemple.fr"))
        first = list_names(browser)
        assert len(first) == 100
        browser.find_element(By.XPATH, "//a[normalize-space()='Conversations suivantes']").click()
        wait(browser).until(lambda b: "cursor=" in b.current_url)
        second = list_names(browser)
        assert len(second) == 100 and not (first & second)
        assert_clean_console(browser)
        session = browser.get_cookie("etiquette_session")["value"]
        # The newest first, every conversation once, to the last page.
        names, pages = walk(server.url, "/app", session)
        assert pages == COUNT // 100
        assert names == [f"Client {index:05d}" for index in reversed(range(COUNT))]
        # Under a label filter: the orders, half of them, in the same order.
        names, _ = walk(server.url, "/app?label=Demandes+de+Commande", session)
        assert names == [f"Client {index:05d}" for index in reversed(range(COUNT)) if index % 2]
    finally:
        browser.quit()
