// The rule editor: CodeMirror 5 (Debian's libjs-codemirror, loaded before this module) with a
// mode for Etiquette, diagnostics as you type from /app/rules/check (the code of `etiquette
// check`), and « Formater » through /app/rules/format. Without it the form still checks and
// formats, a page at a time.
const CodeMirror = window.CodeMirror;
const form = document.querySelector("form.rule-form");
const area = document.getElementById("rule-text");

if (CodeMirror && form && area) {
  CodeMirror.defineSimpleMode("etiquette", {
    start: [
      { regex: /#.*/, token: "comment" },
      { regex: /"(?:[^\\"]|\\.)*"?/, token: "string" },
      { regex: /\/(?:[^\\/\n]|\\.)+\/[a-z]*/, token: "string-2" },
      {
        regex: /\b(?:label|when|remove|message|contains|matches|any|all|forms|typos|not|and|or|team|members|can|cannot|view|reply|manage|labels|except|routing|default|ai|human|priority|urgent|high|normal|low|hours|zone|during|event|contact|synonyms|test|expect|language|color|is|type|notify|was|route|fields|at|step)\b/,
        token: "keyword",
      },
      { regex: /->|==|!=|=/, token: "operator" },
      { regex: /\d+(?::\d+)?/, token: "number" },
    ],
    meta: { lineComment: "#" },
  });

  const file = form.querySelector("input[name=file]").value;
  const csrf = form.querySelector("input[name=csrf]").value;
  const summary = form.querySelector(".summary");

  async function post(path, text) {
    const body = new URLSearchParams({ csrf, file, text });
    const response = await fetch(path, {
      method: "POST", body, credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(path + ": " + response.status);
    return response.json();
  }

  function annotations(document) {
    return document.diagnostics.filter((d) => d.file === file).map((d) => ({
      from: CodeMirror.Pos(d.line - 1, d.column - 1),
      to: CodeMirror.Pos(d.endLine - 1, Math.max(d.endColumn - 1, d.column)),
      message: d.code + ": " + d.message + (d.help ? "\n" + d.help : ""),
      severity: d.severity === "error" ? "error" : "warning",
    }));
  }

  function summarize(document) {
    const { errors, warnings } = document.summary;
    summary.textContent = summary.dataset.template
      ? summary.dataset.template.replace("{errors}", errors).replace("{warnings}", warnings)
      : `${errors} / ${warnings}`;
  }

  // The draft's diagnostics as a list under the editor, each "did you mean" a button that
  // writes the suggestion in place (quoted when the name was written in quotes).
  const live = form.querySelector(".live-diagnostics");
  function didYouMean(help) {
    const found = /did you mean ([`"])(.+?)\1\?/.exec(help || "");
    return found ? found[2] : null;
  }
  function showDiagnostics(document) {
    if (!live) return;
    live.replaceChildren(...document.diagnostics.filter((d) => d.file === file).map((d) => {
      const item = window.document.createElement("li");
      item.className = "diagnostic " + d.severity;
      const parts = [["code", d.code], ["location", `${d.line}:${d.column}`], ["message", d.message]];
      for (const [name, value] of parts) {
        const span = window.document.createElement("span");
        span.className = name;
        span.textContent = value + " ";
        item.append(span);
      }
      if (d.help) {
        const help = window.document.createElement("span");
        help.className = "help";
        help.textContent = d.help;
        item.append(help);
      }
      const suggestion = didYouMean(d.help);
      if (suggestion) {
        const button = window.document.createElement("button");
        button.type = "button";
        button.className = "secondary fix";
        button.textContent = (live.dataset.fix || "{s}").replace("{s}", suggestion);
        button.addEventListener("click", () => {
          const from = CodeMirror.Pos(d.line - 1, d.column - 1);
          const to = CodeMirror.Pos(d.endLine - 1, Math.max(d.endColumn - 1, d.column));
          const written = editor.getRange(from, to);
          editor.replaceRange(written.startsWith('"') ? JSON.stringify(suggestion) : suggestion, from, to);
          editor.focus();
        });
        item.append(button);
      }
      return item;
    }));
  }

  const editor = CodeMirror.fromTextArea(area, {
    mode: "etiquette", lineNumbers: true, gutters: ["CodeMirror-lint-markers"],
    // The editor's own input, named for screen readers as the form's field was.
    screenReaderLabel: area.labels.length ? area.labels[0].textContent : "",
    lint: {
      async: true, delay: 400,
      getAnnotations(text, update) {
        post("/app/rules/check", text).then((document) => {
          summarize(document);
          showDiagnostics(document);
          window.document.body.dataset.checked = String(document.diagnostics.length);
          // The text this answer is for: a check still in flight for older text says so.
          editor.checkedText = text;
          update(annotations(document));
        }).catch(() => update([]));
      },
    },
  });

  form.querySelector("button[formaction='/app/rules/format']").addEventListener("click", async (event) => {
    event.preventDefault();
    const answer = await post("/app/rules/format", editor.getValue());
    if (answer.text !== undefined && answer.text !== null) editor.setValue(answer.text);
  });
  // « Essayer »: the server's answer for the draft, swapped in as HTML from the one renderer.
  form.querySelector("button[formaction='/app/rules/try']").addEventListener("click", async (event) => {
    event.preventDefault();
    const message = form.querySelector("textarea[name=message]").value;
    const body = new URLSearchParams({ csrf, file, text: editor.getValue(), message });
    const response = await fetch("/app/rules/try", { method: "POST", body, credentials: "same-origin" });
    if (!response.ok) return;
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.querySelector(".try-result");
    const current = form.querySelector(".try-result");
    if (fresh && current) current.replaceWith(document.importNode(fresh, true));
  });
  form.addEventListener("submit", () => editor.save());
  // « Lancer les tests »: each failure of this file marked on its line.
  for (const failure of document.querySelectorAll(".test-failure[data-line]")) {
    const location = failure.querySelector(".location")?.textContent || "";
    const line = Number(failure.dataset.line);
    if (location.startsWith(file + ":") && line > 0) {
      editor.addLineClass(line - 1, "background", "test-failed-line");
    }
  }
}
