// A small Language Server Protocol client for `etiquette lsp`, written by hand: VS Code's own
// client library (vscode-languageclient) is only on npm, and this extension is built without
// npm. It speaks JSON-RPC over the server's stdin/stdout with Content-Length framing and maps
// each LSP feature the server offers to the matching VS Code provider.
'use strict';

const vscode = require('vscode');
const { spawn } = require('child_process');

const selector = { language: 'etiquette' };

/** JSON-RPC 2.0 over a child process's stdio. */
class Connection {
  constructor(command, cwd, output) {
    this.output = output;
    this.nextId = 1;
    this.pending = new Map();
    this.handlers = new Map();
    this.buffer = Buffer.alloc(0);
    this.process = spawn(command, ['lsp'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
    this.process.stdout.on('data', (chunk) => this.receive(chunk));
    this.process.stderr.on('data', (chunk) => output.append(chunk.toString()));
    this.process.on('error', (error) => {
      vscode.window.showErrorMessage(`Etiquette: cannot start \`${command} lsp\`: ${error.message}`);
    });
    this.process.on('exit', (code) => {
      output.appendLine(`etiquette lsp exited with status ${code}`);
      for (const { reject } of this.pending.values()) reject(new Error('server exited'));
      this.pending.clear();
    });
  }

  write(message) {
    const body = Buffer.from(JSON.stringify(Object.assign({ jsonrpc: '2.0' }, message)), 'utf8');
    this.process.stdin.write(`Content-Length: ${body.length}\r\n\r\n`);
    this.process.stdin.write(body);
  }

  request(method, params) {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.write({ id, method, params });
    });
  }

  notify(method, params) {
    this.write({ method, params });
  }

  onNotification(method, handler) {
    this.handlers.set(method, handler);
  }

  receive(chunk) {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const headerEnd = this.buffer.indexOf('\r\n\r\n');
      if (headerEnd < 0) return;
      const header = this.buffer.subarray(0, headerEnd).toString('ascii');
      const match = /Content-Length:\s*(\d+)/i.exec(header);
      if (!match) {
        this.buffer = this.buffer.subarray(headerEnd + 4);
        continue;
      }
      const length = Number(match[1]);
      if (this.buffer.length < headerEnd + 4 + length) return;
      const body = this.buffer.subarray(headerEnd + 4, headerEnd + 4 + length).toString('utf8');
      this.buffer = this.buffer.subarray(headerEnd + 4 + length);
      let message;
      try {
        message = JSON.parse(body);
      } catch (error) {
        this.output.appendLine(`unreadable message from the server: ${error.message}`);
        continue;
      }
      this.dispatch(message);
    }
  }

  dispatch(message) {
    if (message.method && message.id !== undefined) {
      // A request from the server (workspace/codeLens/refresh): handle it, answer null.
      const handler = this.handlers.get(message.method);
      if (handler) handler(message.params);
      this.write({ id: message.id, result: null });
    } else if (message.method) {
      const handler = this.handlers.get(message.method);
      if (handler) handler(message.params);
    } else if (this.pending.has(message.id)) {
      const { resolve, reject } = this.pending.get(message.id);
      this.pending.delete(message.id);
      if (message.error) reject(new Error(message.error.message));
      else resolve(message.result);
    }
  }

  stop() {
    return this.request('shutdown', null)
      .catch(() => undefined)
      .then(() => {
        this.notify('exit', null);
      });
  }
}

// MARK: Conversions between LSP and VS Code values

const toPosition = (p) => new vscode.Position(p.line, p.character);
const toRange = (r) => new vscode.Range(toPosition(r.start), toPosition(r.end));
const fromPosition = (p) => ({ line: p.line, character: p.character });
const fromRange = (r) => ({ start: fromPosition(r.start), end: fromPosition(r.end) });
const toLocation = (l) => new vscode.Location(vscode.Uri.parse(l.uri), toRange(l.range));
const positionParams = (document, position) => ({
  textDocument: { uri: document.uri.toString() },
  position: fromPosition(position),
});

function toWorkspaceEdit(edit) {
  const result = new vscode.WorkspaceEdit();
  for (const [uri, edits] of Object.entries((edit && edit.changes) || {})) {
    for (const e of edits) result.replace(vscode.Uri.parse(uri), toRange(e.range), e.newText);
  }
  return result;
}

function toDiagnostic(d) {
  const severities = [
    vscode.DiagnosticSeverity.Error,
    vscode.DiagnosticSeverity.Warning,
    vscode.DiagnosticSeverity.Information,
    vscode.DiagnosticSeverity.Hint,
  ];
  const diagnostic = new vscode.Diagnostic(toRange(d.range), d.message, severities[(d.severity || 1) - 1]);
  diagnostic.source = d.source;
  if (d.code) {
    diagnostic.code = d.codeDescription
      ? { value: d.code, target: vscode.Uri.parse(d.codeDescription.href) }
      : d.code;
  }
  if (d.relatedInformation) {
    diagnostic.relatedInformation = d.relatedInformation.map(
      (r) => new vscode.DiagnosticRelatedInformation(toLocation(r.location), r.message),
    );
  }
  return diagnostic;
}

const symbolKind = (kind) => Math.max(0, kind - 1);

function toDocumentSymbol(s) {
  const symbol = new vscode.DocumentSymbol(
    s.name, s.detail || '', symbolKind(s.kind), toRange(s.range), toRange(s.selectionRange),
  );
  symbol.children = (s.children || []).map(toDocumentSymbol);
  return symbol;
}

// MARK: Activation

let connection;

async function start(context, output) {
  const command = vscode.workspace.getConfiguration('etiquette').get('path') || 'etiquette';
  const folders = vscode.workspace.workspaceFolders || [];
  connection = new Connection(command, folders.length ? folders[0].uri.fsPath : undefined, output);
  const diagnostics = vscode.languages.createDiagnosticCollection('etiquette');
  const lensesChanged = new vscode.EventEmitter();
  context.subscriptions.push(diagnostics, lensesChanged);

  connection.onNotification('textDocument/publishDiagnostics', (params) => {
    diagnostics.set(vscode.Uri.parse(params.uri), params.diagnostics.map(toDiagnostic));
  });
  connection.onNotification('workspace/codeLens/refresh', () => lensesChanged.fire());
  connection.onNotification('window/showMessage', (params) => {
    vscode.window.showInformationMessage(params.message);
  });

  const result = await connection.request('initialize', {
    processId: process.pid,
    clientInfo: { name: 'vscode-etiquette' },
    rootUri: folders.length ? folders[0].uri.toString() : null,
    workspaceFolders: folders.map((f) => ({ uri: f.uri.toString(), name: f.name })),
    capabilities: { workspace: { codeLens: { refreshSupport: true } } },
  });
  connection.notify('initialized', {});

  // Documents: the whole text on open and on each change (the server accepts both forms).
  const opened = (document) => {
    if (document.languageId !== 'etiquette') return;
    connection.notify('textDocument/didOpen', {
      textDocument: {
        uri: document.uri.toString(), languageId: 'etiquette', version: document.version,
        text: document.getText(),
      },
    });
  };
  vscode.workspace.textDocuments.forEach(opened);
  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument(opened),
    vscode.workspace.onDidChangeTextDocument((event) => {
      if (event.document.languageId !== 'etiquette' || event.contentChanges.length === 0) return;
      connection.notify('textDocument/didChange', {
        textDocument: { uri: event.document.uri.toString(), version: event.document.version },
        contentChanges: [{ text: event.document.getText() }],
      });
    }),
    vscode.workspace.onDidCloseTextDocument((document) => {
      if (document.languageId !== 'etiquette') return;
      connection.notify('textDocument/didClose', { textDocument: { uri: document.uri.toString() } });
    }),
  );

  const legend = new vscode.SemanticTokensLegend(
    result.capabilities.semanticTokensProvider.legend.tokenTypes, [],
  );

  context.subscriptions.push(
    vscode.languages.registerHoverProvider(selector, {
      async provideHover(document, position) {
        const hover = await connection.request('textDocument/hover', positionParams(document, position));
        if (!hover) return undefined;
        return new vscode.Hover(
          new vscode.MarkdownString(hover.contents.value), hover.range && toRange(hover.range),
        );
      },
    }),
    vscode.languages.registerDefinitionProvider(selector, {
      async provideDefinition(document, position) {
        const locations = await connection.request('textDocument/definition', positionParams(document, position));
        return (locations || []).map(toLocation);
      },
    }),
    vscode.languages.registerReferenceProvider(selector, {
      async provideReferences(document, position, context) {
        const params = positionParams(document, position);
        params.context = { includeDeclaration: context.includeDeclaration };
        return ((await connection.request('textDocument/references', params)) || []).map(toLocation);
      },
    }),
    vscode.languages.registerCompletionItemProvider(selector, {
      async provideCompletionItems(document, position) {
        const list = await connection.request('textDocument/completion', positionParams(document, position));
        const items = (list.items || []).map((i) => {
          const item = new vscode.CompletionItem(i.label, Math.max(0, i.kind - 1));
          item.filterText = i.filterText;
          if (i.textEdit) {
            item.range = toRange(i.textEdit.range);
            item.insertText = i.textEdit.newText;
          }
          return item;
        });
        return new vscode.CompletionList(items, list.isIncomplete);
      },
    }, '"', '.', ' '),
    vscode.languages.registerRenameProvider(selector, {
      async prepareRename(document, position) {
        const result = await connection.request('textDocument/prepareRename', positionParams(document, position));
        return { range: toRange(result.range), placeholder: result.placeholder };
      },
      async provideRenameEdits(document, position, newName) {
        const params = positionParams(document, position);
        params.newName = newName;
        return toWorkspaceEdit(await connection.request('textDocument/rename', params));
      },
    }),
    vscode.languages.registerDocumentFormattingEditProvider(selector, {
      async provideDocumentFormattingEdits(document, options) {
        const edits = await connection.request('textDocument/formatting', {
          textDocument: { uri: document.uri.toString() },
          options: { tabSize: options.tabSize, insertSpaces: options.insertSpaces },
        });
        return (edits || []).map((e) => vscode.TextEdit.replace(toRange(e.range), e.newText));
      },
    }),
    vscode.languages.registerCodeActionsProvider(selector, {
      async provideCodeActions(document, range) {
        const actions = await connection.request('textDocument/codeAction', {
          textDocument: { uri: document.uri.toString() },
          range: fromRange(range),
          context: { diagnostics: [] },
        });
        return (actions || []).map((a) => {
          const action = new vscode.CodeAction(a.title, vscode.CodeActionKind.QuickFix);
          action.edit = toWorkspaceEdit(a.edit);
          action.isPreferred = a.isPreferred;
          return action;
        });
      },
    }),
    vscode.languages.registerDocumentSymbolProvider(selector, {
      async provideDocumentSymbols(document) {
        const symbols = await connection.request('textDocument/documentSymbol', {
          textDocument: { uri: document.uri.toString() },
        });
        return (symbols || []).map(toDocumentSymbol);
      },
    }),
    vscode.languages.registerWorkspaceSymbolProvider({
      async provideWorkspaceSymbols(query) {
        const symbols = await connection.request('workspace/symbol', { query });
        return (symbols || []).map(
          (s) => new vscode.SymbolInformation(s.name, symbolKind(s.kind), s.containerName || '', toLocation(s.location)),
        );
      },
    }),
    vscode.languages.registerDocumentSemanticTokensProvider(selector, {
      async provideDocumentSemanticTokens(document) {
        const tokens = await connection.request('textDocument/semanticTokens/full', {
          textDocument: { uri: document.uri.toString() },
        });
        return new vscode.SemanticTokens(new Uint32Array(tokens.data));
      },
    }, legend),
    vscode.languages.registerCodeLensProvider(selector, {
      onDidChangeCodeLenses: lensesChanged.event,
      async provideCodeLenses(document) {
        const lenses = await connection.request('textDocument/codeLens', {
          textDocument: { uri: document.uri.toString() },
        });
        return (lenses || []).map((l) => new vscode.CodeLens(toRange(l.range), {
          title: l.command.title, command: l.command.command, arguments: l.command.arguments,
        }));
      },
    }),
    vscode.commands.registerCommand('etiquette.runTest', async (uri, name) => {
      try {
        const summary = await connection.request('workspace/executeCommand', {
          command: 'etiquette.runTest', arguments: [uri, name],
        });
        lensesChanged.fire();
        const text = summary.passed ? `✓ ${name} passed` : `✗ ${name}: ${summary.failures} failure(s)`;
        vscode.window.setStatusBarMessage(text, 5000);
      } catch (error) {
        vscode.window.showErrorMessage(`Etiquette: ${error.message}`);
      }
    }),
  );
}

function activate(context) {
  const output = vscode.window.createOutputChannel('Etiquette');
  context.subscriptions.push(output);
  context.subscriptions.push(
    vscode.commands.registerCommand('etiquette.restartServer', async () => {
      if (connection) await connection.stop();
      vscode.window.showInformationMessage('Etiquette: reload the window to start the server again.');
    }),
  );
  return start(context, output);
}

function deactivate() {
  return connection ? connection.stop() : undefined;
}

module.exports = { activate, deactivate };
