// The inbox's one module: opens a conversation at its first unread line (else its last),
// sends the composer with Ctrl+Enter (or Cmd+Enter), inserts an AI suggestion into the
// composer, completes @mentions in notes, and the keyboard shortcuts. Every form and link
// works without it.
const timeline = document.querySelector(".timeline");
if (timeline) {
  const unread = document.getElementById("first-unread");
  if (unread) unread.scrollIntoView({ block: "start" });
  else timeline.scrollTop = timeline.scrollHeight;
}

// « Insérer »: the suggestion goes into the composer, to be edited and sent (the link's
// `?draft=` does the same without JavaScript).
document.addEventListener("click", (event) => {
  const insert = event.target instanceof Element ? event.target.closest("a.insert") : null;
  const field = document.querySelector("form.composer textarea");
  if (!insert || !field) return;
  event.preventDefault();
  field.value = insert.dataset.text;
  field.focus();
});

// @ completion in notes: members who may view the conversation, filtered by what follows the
// @; arrows choose, Enter or Tab inserts, Esc closes.
const note = document.querySelector("textarea[data-members]");
const options = document.querySelector(".mention-options");
if (note && options) {
  const members = note.dataset.members.split(" ").filter((m) => m.length > 0);
  let matches = [];
  let chosen = 0;
  const mentionAt = () => {
    const before = note.value.slice(0, note.selectionStart);
    const found = /(^|\s)@([^\s@]*)$/.exec(before);
    return found ? { start: before.length - found[2].length - 1, typed: found[2] } : null;
  };
  const close = () => {
    options.hidden = true;
    matches = [];
  };
  const show = () => {
    const mention = mentionAt();
    if (!mention) return close();
    matches = members.filter((m) => m.toLowerCase().startsWith(mention.typed.toLowerCase()));
    if (matches.length === 0) return close();
    chosen = Math.min(chosen, matches.length - 1);
    options.replaceChildren(...matches.map((member, index) => {
      const item = document.createElement("li");
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", String(index === chosen));
      item.textContent = "@" + member;
      item.addEventListener("mousedown", (event) => {
        event.preventDefault();
        chosen = index;
        pick();
      });
      return item;
    }));
    options.hidden = false;
  };
  const pick = () => {
    const mention = mentionAt();
    if (!mention || matches.length === 0) return close();
    const text = "@" + matches[chosen] + " ";
    note.setRangeText(text, mention.start, note.selectionStart, "end");
    close();
    note.focus();
  };
  note.addEventListener("input", () => {
    chosen = 0;
    show();
  });
  note.addEventListener("keydown", (event) => {
    if (options.hidden) return;
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      chosen = (chosen + (event.key === "ArrowDown" ? 1 : matches.length - 1)) % matches.length;
      show();
    } else if (event.key === "Enter" || event.key === "Tab") {
      event.preventDefault();
      pick();
    } else if (event.key === "Escape") {
      event.stopPropagation();
      close();
    }
  });
  note.addEventListener("blur", close);
}

const composer = document.querySelector("form.composer");
if (composer) {
  composer.querySelector("textarea").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      composer.requestSubmit();
    }
  });
}

// Keyboard: Alt+J / Alt+K next and previous conversation, "/" search, Esc back to the list,
// "?" the list of shortcuts. Keys typed into a field stay the field's.
function conversationLinks() {
  return [...document.querySelectorAll(".list .row a")];
}

function typing(target) {
  return target instanceof HTMLElement && target.closest("input, textarea, select") !== null;
}

document.addEventListener("keydown", (event) => {
  if (event.altKey && (event.key === "j" || event.key === "k")) {
    const links = conversationLinks();
    if (links.length === 0) return;
    const current = links.findIndex((link) => link.closest(".row").classList.contains("selected"));
    const next = event.key === "j" ? current + 1 : current - 1;
    const target = links[Math.max(0, Math.min(links.length - 1, current === -1 ? 0 : next))];
    event.preventDefault();
    location.assign(target.href);
    return;
  }
  if (event.key === "Escape") {
    if (typing(event.target)) {
      event.target.blur();
      return;
    }
    const back = document.querySelector(".conversation-header .back");
    if (back) location.assign(back.href);
    return;
  }
  if (typing(event.target) || event.ctrlKey || event.metaKey || event.altKey) return;
  if (event.key === "/") {
    const search = document.querySelector("input[type=search]");
    if (search) {
      event.preventDefault();
      search.focus();
    }
  } else if (event.key === "?") {
    const help = document.getElementById("shortcuts");
    if (help && !help.open) help.showModal();
  }
});

// Installable: the service worker keeps the shell only (see /sw.js).
if ("serviceWorker" in navigator && location.pathname.startsWith("/app")) {
  navigator.serviceWorker.register("/sw.js").catch(() => {});
}
