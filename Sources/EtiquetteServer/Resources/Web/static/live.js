// Live updates: the member's events arrive over /app/stream (Server-Sent Events, the session
// cookie), and each one re-fetches the page the member is on and swaps its list, its view
// counts and the open conversation — HTML from the one renderer, no client-side templates.
// The composer is left alone, so a reply being typed is kept.
const EVENTS = [
  "message.created", "message.status", "label.added", "label.removed", "note.added",
  "conversation.routed", "conversation.hidden",
];
const PARTS = [".views", ".list", ".conversation-header", ".timeline", ".handoff", ".read-only"];

let running = false;
let again = false;

async function refresh() {
  if (running) {
    again = true;
    return;
  }
  running = true;
  try {
    do {
      again = false;
      const response = await fetch(location.href, { credentials: "same-origin" });
      if (response.redirected && new URL(response.url).pathname === "/login") {
        location.assign("/login");
        return;
      }
      if (response.status === 404) {
        // The conversation is no longer visible to this member: back to the list.
        location.assign("/app");
        return;
      }
      if (!response.ok) return;
      const page = new DOMParser().parseFromString(await response.text(), "text/html");
      for (const selector of PARTS) {
        const current = document.querySelector(selector);
        const fresh = page.querySelector(selector);
        if (current && fresh) current.replaceWith(document.importNode(fresh, true));
      }
      const timeline = document.querySelector(".timeline");
      if (timeline) timeline.scrollTop = timeline.scrollHeight;
      document.dispatchEvent(new CustomEvent("inbox:updated"));
    } while (again);
  } finally {
    running = false;
  }
}

if (document.querySelector(".list")) {
  const stream = new EventSource("/app/stream");
  for (const type of EVENTS) stream.addEventListener(type, refresh);
  // The first `ready` after a reconnection: events may have been missed, so look again.
  let connected = false;
  stream.addEventListener("ready", () => {
    if (connected) refresh();
    connected = true;
    // Whether the page is live, for styles and tests.
    document.documentElement.dataset.live = "connected";
  });
  stream.addEventListener("error", () => {
    document.documentElement.dataset.live = "reconnecting";
  });
  window.addEventListener("pagehide", () => stream.close());
}
