// Live updates: the member's events arrive over /app/stream (Server-Sent Events, the session
// cookie), and each one re-fetches the page the member is on and swaps its list, its view
// counts and the open conversation — HTML from the one renderer, no client-side templates.
// The composer is left alone, so a reply being typed is kept.
//
// All tabs of a browser share one connection: the tab holding the Web Lock "etiquette-stream"
// opens the stream and passes every event to the others over a BroadcastChannel; when it
// closes, another tab takes the lock and the stream over. A page the server redraws from its
// state never replays events, so after any reconnection (network cut, server restart, a new
// leading tab) one refresh shows exactly what was committed meanwhile, once.
const EVENTS = [
  "message.created", "message.status", "label.added", "label.removed", "note.added",
  "conversation.routed", "conversation.hidden", "read_state.changed", "notification.created",
];
const PARTS = [
  ".views", ".list", ".conversation-header", ".timeline", ".handoff", ".read-only", ".window",
  ".suggestions",
];

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
      document.title = page.title;
      document.body.dataset.change = page.body.dataset.change;
      const timeline = document.querySelector(".timeline");
      if (timeline) timeline.scrollTop = timeline.scrollHeight;
      document.dispatchEvent(new CustomEvent("inbox:updated"));
    } while (again);
  } finally {
    running = false;
  }
}

// A system notification for the engine's notify outcomes (@mentions, a customer writing to
// an agent who stepped away, routing to the member's team) while the tab is hidden, once the
// member allowed it. Only the tab holding the stream shows it, so it appears once.
function notify(data) {
  if (!("Notification" in window) || Notification.permission !== "granted") return;
  if (!document.hidden) return;
  const note = data && data.notification;
  if (!note) return;
  const shown = new Notification(document.documentElement.dataset.appName || "Etiquette", {
    body: note.text, tag: "etiquette-" + note.id,
  });
  shown.addEventListener("click", () => {
    window.focus();
    location.assign("/app/conversations/" + encodeURIComponent(note.conversation));
  });
}

let seenReady = false;

function received(type, data, leading) {
  if (type === "state") {
    // The leading tab's answer to a new tab: whether the shared stream is up. Events the
    // leader passed on before this tab listened are lost to it: one refresh covers them.
    if (!seenReady) refresh();
    seenReady = true;
    document.documentElement.dataset.live = data;
  } else if (type === "ready") {
    // The first `ready` is this page's own start: it says where the server's changes stand,
    // and a mark other than the page's means something was committed between the page and
    // its stream. Any later one follows a reconnection, a restart or a new leading tab:
    // events may have been missed. Either way, look again.
    const change = data && data.change;
    if (seenReady || (change && change !== document.body.dataset.change)) refresh();
    seenReady = true;
    document.documentElement.dataset.live = "connected";
  } else if (type === "error") {
    document.documentElement.dataset.live = "reconnecting";
  } else if (type === "read_state.changed" && document.querySelector(".timeline")) {
    // Fetching an open conversation again reads it: a tab showing one would undo the
    // member's own « Marquer comme non lu ». Lists update; the open conversation stays.
  } else {
    if (type === "notification.created" && leading) notify(data);
    refresh();
  }
}

function lead(channel) {
  const stream = new EventSource("/app/stream");
  if (channel) {
    channel.addEventListener("message", (event) => {
      if (event.data.type === "hello") {
        channel.postMessage({ type: "state", data: document.documentElement.dataset.live || "" });
      }
    });
  }
  const forward = (type) => (event) => {
    let data = null;
    try {
      data = event.data ? JSON.parse(event.data) : null;
    } catch {
      data = null;
    }
    if (channel) channel.postMessage({ type, data });
    received(type, data, true);
  };
  for (const type of [...EVENTS, "ready"]) stream.addEventListener(type, forward(type));
  stream.addEventListener("error", forward("error"));
  window.addEventListener("pagehide", () => stream.close());
}

if (document.querySelector(".list")) {
  const shared = "locks" in navigator && "BroadcastChannel" in window;
  if (shared) {
    const channel = new BroadcastChannel("etiquette-live");
    channel.addEventListener("message", (event) => {
      if (event.data.type !== "hello") received(event.data.type, event.data.data, false);
    });
    channel.postMessage({ type: "hello" });
    // Held until the page goes away; the next tab waiting for it then leads.
    navigator.locks.request("etiquette-stream", () => new Promise(() => {
      document.documentElement.dataset.leading = "true";
      lead(channel);
    }));
  } else {
    lead(null);
  }
}

// « Activer les notifications »: asked on a click, never on load.
const enable = document.querySelector("button.notify");
if (enable && "Notification" in window && Notification.permission === "default") {
  enable.hidden = false;
  enable.addEventListener("click", async () => {
    await Notification.requestPermission();
    enable.hidden = true;
  });
}
