"""Measures the web inbox (issue 16), not a test: first load (bytes, time to the list), the list
page's render time with many conversations, and the delay from a signed webhook to its bubble in
an open page. Run with `make bench-web` (after `swift build`); N conversations (default 2000)
and M live messages (default 100) from the command line: `inbox_bench.py 2000 100`.
"""

import os
import statistics
import sys
import time
import urllib.request

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "Tests", "Browser"))
import test_web_inbox as inbox  # noqa: E402  (its server fixture and browser helpers)
from selenium.webdriver.common.by import By  # noqa: E402


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(fraction * (len(ordered) - 1))))]


def main():
    conversations = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    messages = int(sys.argv[2]) if len(sys.argv) > 2 else 100
    fixture = inbox.server.__wrapped__()
    server = next(fixture)
    url = server["url"]
    started = time.monotonic()
    for index in range(conversations):
        inbox.signed_webhook(url, f"3370{index:07d}", f"Client {index}",
                             "Où en est ma commande ?" if index % 2 else "Bonjour, un devis ?",
                             1000 + index)
    print(f"seeded {conversations} conversations through the intake in "
          f"{time.monotonic() - started:.1f} s")

    browser = inbox.new_browser()
    try:
        inbox.accept_invitation(browser, server["invite"]("manon@exemple.fr"))
        session = browser.get_cookie("etiquette_session")["value"]
        # First load: a fresh page of the list, its bytes and its time to the list.
        browser.execute_cdp_cmd("Network.enable", {})
        browser.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": True})
        browser.get(url + "/app")
        timing = browser.execute_script("""
            const nav = performance.getEntriesByType('navigation')[0];
            const resources = performance.getEntriesByType('resource')
              .filter(entry => !entry.name.endsWith('/app/stream'));
            return {
              document: nav.transferSize, assets: resources.reduce((s, e) => s + e.transferSize, 0),
              count: resources.length, list: nav.domContentLoadedEventEnd - nav.startTime,
              load: nav.loadEventEnd - nav.startTime };
        """)
        print(f"first load of /app (no cache): document {timing['document']} B + "
              f"{timing['count']} assets {timing['assets']} B; list shown (DOMContentLoaded) "
              f"after {timing['list']:.0f} ms, load after {timing['load']:.0f} ms")

        # The list page's server time, with the cookie, over loopback.
        durations = []
        for _ in range(30):
            request = urllib.request.Request(
                url + "/app", headers={"Cookie": "etiquette_session=" + session})
            begun = time.perf_counter()
            with urllib.request.urlopen(request, timeout=30) as response:
                size = len(response.read())
            durations.append((time.perf_counter() - begun) * 1000)
        print(f"GET /app with {conversations} conversations (a page of 100 rows, {size} B): "
              f"median {statistics.median(durations):.1f} ms, max {max(durations):.1f} ms "
              f"over {len(durations)} requests")

        # Webhook to bubble: the page is open on a conversation; each message's bubble is
        # awaited by a MutationObserver in the page, which records when it appeared.
        browser.execute_cdp_cmd("Network.setCacheDisabled", {"cacheDisabled": False})
        browser.get(url + "/app")
        browser.find_element(By.XPATH, "//section[@aria-label='Conversations']//a").click()
        inbox.wait(browser).until(lambda b: b.find_element(By.TAG_NAME, "html")
                                  .get_attribute("data-live") == "connected")
        contact = browser.find_element(By.CSS_SELECTOR, ".conversation-header h1").text
        number = contact.split()[-1]
        delays = []
        for index in range(messages):
            text = f"Message en direct {index}"
            browser.execute_script("""
                window.__seen = null; const text = arguments[0];
                const look = () => [...document.querySelectorAll('.bubble p')]
                  .some(p => p.textContent === text);
                const observer = new MutationObserver(() => {
                  if (look()) { window.__seen = performance.now(); observer.disconnect(); }
                });
                observer.observe(document.body, {childList: true, subtree: true});
                window.__sent = performance.now();
            """, text)
            inbox.signed_webhook(url, f"3370{int(number):07d}", contact, text, 900000 + index)
            inbox.wait(browser).until(lambda b: b.execute_script("return window.__seen") is not None)
            # The page's clock: from just before the POST to the bubble in the DOM.
            delays.append(browser.execute_script("return window.__seen - window.__sent"))
        print(f"signed webhook → bubble in an open page, {messages} messages: "
              f"p50 {percentile(delays, 0.5):.0f} ms, p99 {percentile(delays, 0.99):.0f} ms, "
              f"max {max(delays):.0f} ms")
    finally:
        browser.quit()
        next(fixture, None)


if __name__ == "__main__":
    main()
