// The inbox's one module: opens a conversation at its last line, and sends the composer with
// Ctrl+Enter (or Cmd+Enter). Every form works without it.
const timeline = document.querySelector(".timeline");
if (timeline) timeline.scrollTop = timeline.scrollHeight;

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
