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
