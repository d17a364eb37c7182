import EtiquetteEngine
import Foundation

// Every JSON-RPC 2.0 and Language Server Protocol 3.17 type the server reads or writes, in one
// file so the wire format is reviewed in one place. Only the fields Etiquette uses are declared:
// decoding ignores the rest, and optional fields are left out when encoding.

// MARK: - JSON-RPC

/// A request id: the protocol allows a number or a string.
enum RequestID: Sendable, Hashable, Codable, CustomStringConvertible {
  case number(Int)
  case string(String)

  init(from decoder: any Decoder) throws {
    let container = try decoder.singleValueContainer()
    if let number = try? container.decode(Int.self) {
      self = .number(number)
    } else {
      self = .string(try container.decode(String.self))
    }
  }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.singleValueContainer()
    switch self {
    case .number(let n): try container.encode(n)
    case .string(let s): try container.encode(s)
    }
  }

  var description: String {
    switch self {
    case .number(let n): "\(n)"
    case .string(let s): s
    }
  }
}

/// The fields every incoming message has: a request has `id` and `method`, a notification only
/// `method`, and a response to one of the server's own requests only `id`.
struct IncomingMessage: Decodable {
  var id: RequestID?
  var method: String?
}

/// Decodes the `params` of a message whose method is already known.
struct ParamsEnvelope<Params: Decodable>: Decodable {
  var params: Params
}

/// JSON-RPC and LSP error codes.
enum ErrorCode: Int, Sendable {
  case parseError = -32700
  case invalidRequest = -32600
  case methodNotFound = -32601
  case invalidParams = -32602
  case internalError = -32603
  case serverNotInitialized = -32002
  case requestFailed = -32803
  case requestCancelled = -32800
}

/// The `error` member of a response.
struct ResponseError: Error, Sendable, Codable, Hashable {
  var code: Int
  var message: String

  init(_ code: ErrorCode, _ message: String) {
    self.code = code.rawValue
    self.message = message
  }
}

/// A response: `result` (JSON `null` included) or `error`, never both.
struct ResponseMessage: Encodable {
  var id: RequestID?
  var result: (any Encodable & Sendable)?
  var error: ResponseError?

  enum CodingKeys: String, CodingKey { case jsonrpc, id, result, error }

  func encode(to encoder: any Encoder) throws {
    var container = encoder.container(keyedBy: CodingKeys.self)
    try container.encode("2.0", forKey: .jsonrpc)
    // A response to a message whose id could not be read carries `"id": null`.
    if let id {
      try container.encode(id, forKey: .id)
    } else {
      try container.encodeNil(forKey: .id)
    }
    if let error {
      try container.encode(error, forKey: .error)
    } else if let result {
      try container.encode(result, forKey: .result)
    } else {
      try container.encodeNil(forKey: .result)
    }
  }
}

/// A notification or a request sent by the server.
struct OutgoingMessage<Params: Encodable>: Encodable {
  var jsonrpc = "2.0"
  var id: RequestID?
  var method: String
  var params: Params?
}

// MARK: - Basic structures

/// A zero-based line and character offset, counted in UTF-16 code units (the LSP default).
struct Position: Sendable, Hashable, Codable {
  var line: Int
  var character: Int
  init(line: Int, character: Int) {
    self.line = line
    self.character = character
  }
}

/// A half-open range between two positions.
struct Range: Sendable, Hashable, Codable {
  var start: Position
  var end: Position
  init(start: Position, end: Position) {
    self.start = start
    self.end = end
  }
}

/// A range in a document named by URI.
struct Location: Sendable, Hashable, Codable {
  var uri: String
  var range: Range
}

struct TextDocumentIdentifier: Codable, Sendable { var uri: String }

struct TextDocumentItem: Codable, Sendable {
  var uri: String
  var languageId: String?
  var version: Int?
  var text: String
}

struct VersionedTextDocumentIdentifier: Codable, Sendable {
  var uri: String
  var version: Int?
}

/// `textDocument` and `position`: the parameters of hover, definition, completion and others.
struct TextDocumentPositionParams: Codable, Sendable {
  var textDocument: TextDocumentIdentifier
  var position: Position
}

/// A replacement of a range of text.
struct TextEdit: Sendable, Hashable, Codable {
  var range: Range
  var newText: String
}

/// Edits to several documents, keyed by URI.
struct WorkspaceEdit: Sendable, Hashable, Codable {
  var changes: [String: [TextEdit]]
}

/// A command a client shows (code lens) and sends back with `workspace/executeCommand`.
struct Command: Codable, Sendable, Hashable {
  var title: String
  var command: String
  var arguments: [JSONValue]?
}

struct MarkupContent: Codable, Sendable {
  var kind = "markdown"
  var value: String
}

// MARK: - Lifecycle

struct WorkspaceFolder: Codable, Sendable {
  var uri: String
  var name: String?
}

struct InitializeParams: Decodable, Sendable {
  var rootUri: String?
  var rootPath: String?
  var workspaceFolders: [WorkspaceFolder]?
  var capabilities: JSONValue?
}

struct InitializeResult: Encodable, Sendable {
  struct ServerInfo: Encodable, Sendable {
    var name: String
    var version: String
  }
  var capabilities: ServerCapabilities
  var serverInfo: ServerInfo
}

/// What the server offers, announced in the `initialize` response.
struct ServerCapabilities: Encodable, Sendable {
  struct TextDocumentSync: Encodable, Sendable {
    var openClose = true
    /// 2: incremental (ranges); the server applies each change to its copy.
    var change = 2
    var save = true
  }
  struct CompletionOptions: Encodable, Sendable {
    var triggerCharacters: [String]
  }
  struct SemanticTokensOptions: Encodable, Sendable {
    struct Legend: Encodable, Sendable {
      var tokenTypes: [String]
      var tokenModifiers: [String]
    }
    var legend: Legend
    var full = true
  }
  struct RenameOptions: Encodable, Sendable { var prepareProvider = true }
  struct CodeLensOptions: Encodable, Sendable { var resolveProvider = false }
  struct ExecuteCommandOptions: Encodable, Sendable { var commands: [String] }
  struct CodeActionOptions: Encodable, Sendable { var codeActionKinds: [String] }

  var positionEncoding = "utf-16"
  var textDocumentSync = TextDocumentSync()
  var hoverProvider = true
  var definitionProvider = true
  var referencesProvider = true
  var documentFormattingProvider = true
  var documentSymbolProvider = true
  var workspaceSymbolProvider = true
  var completionProvider: CompletionOptions
  var renameProvider = RenameOptions()
  var codeActionProvider: CodeActionOptions
  var semanticTokensProvider: SemanticTokensOptions
  var codeLensProvider = CodeLensOptions()
  var executeCommandProvider: ExecuteCommandOptions
}

// MARK: - Document synchronisation

struct DidOpenTextDocumentParams: Decodable, Sendable { var textDocument: TextDocumentItem }

struct TextDocumentContentChangeEvent: Decodable, Sendable {
  /// Absent when the change replaces the whole document.
  var range: Range?
  var text: String
}

struct DidChangeTextDocumentParams: Decodable, Sendable {
  var textDocument: VersionedTextDocumentIdentifier
  var contentChanges: [TextDocumentContentChangeEvent]
}

struct DidCloseTextDocumentParams: Decodable, Sendable { var textDocument: TextDocumentIdentifier }

struct CancelParams: Decodable, Sendable { var id: RequestID }

struct DidChangeWatchedFilesParams: Decodable, Sendable {
  struct FileEvent: Decodable, Sendable {
    var uri: String
    /// 1 created, 2 changed, 3 deleted.
    var type: Int
  }
  var changes: [FileEvent]
}

// MARK: - Diagnostics

struct CodeDescription: Encodable, Sendable, Hashable { var href: String }

struct DiagnosticRelatedInformation: Encodable, Sendable, Hashable {
  var location: Location
  var message: String
}

/// A diagnostic as the client shows it. Severity: 1 error, 2 warning, 3 information, 4 hint.
struct LSPDiagnostic: Encodable, Sendable, Hashable {
  var range: Range
  var severity: Int
  var code: String?
  var codeDescription: CodeDescription?
  var source = "etiquette"
  var message: String
  var relatedInformation: [DiagnosticRelatedInformation]?
}

struct PublishDiagnosticsParams: Encodable, Sendable {
  var uri: String
  var version: Int?
  var diagnostics: [LSPDiagnostic]
}

// MARK: - Language features

struct Hover: Encodable, Sendable {
  var contents: MarkupContent
  var range: Range?
}

struct ReferenceParams: Decodable, Sendable {
  struct Context: Decodable, Sendable { var includeDeclaration: Bool }
  var textDocument: TextDocumentIdentifier
  var position: Position
  var context: Context?
}

/// Completion item kinds used here (LSP numbering).
enum CompletionItemKind: Int, Encodable, Sendable {
  case field = 5
  case variable = 6
  case `class` = 7
  case keyword = 14
  case enumMember = 20
  case event = 23
  case value = 12
}

struct CompletionItem: Encodable, Sendable, Hashable {
  var label: String
  var kind: Int
  var detail: String?
  var filterText: String?
  var textEdit: TextEdit?
}

struct CompletionList: Encodable, Sendable {
  var isIncomplete = false
  var items: [CompletionItem]
}

struct RenameParams: Decodable, Sendable {
  var textDocument: TextDocumentIdentifier
  var position: Position
  var newName: String
}

struct PrepareRenameResult: Encodable, Sendable {
  var range: Range
  var placeholder: String
}

struct DocumentFormattingParams: Decodable, Sendable { var textDocument: TextDocumentIdentifier }

struct CodeActionParams: Decodable, Sendable {
  var textDocument: TextDocumentIdentifier
  var range: Range
}

struct CodeAction: Encodable, Sendable {
  var title: String
  var kind = "quickfix"
  var isPreferred: Bool?
  var edit: WorkspaceEdit
}

/// Symbol kinds used here (LSP numbering).
enum SymbolKind: Int, Sendable {
  case namespace = 3
  case `class` = 5
  case field = 8
  case function = 12
  case constant = 14
  case enumMember = 22
  case event = 24
  case object = 19
  case module = 2
}

struct DocumentSymbol: Encodable, Sendable {
  var name: String
  var detail: String?
  var kind: Int
  var range: Range
  var selectionRange: Range
  var children: [DocumentSymbol]?
}

struct WorkspaceSymbolParams: Decodable, Sendable { var query: String }

struct SymbolInformation: Encodable, Sendable {
  var name: String
  var kind: Int
  var location: Location
  var containerName: String?
}

struct SemanticTokens: Encodable, Sendable { var data: [Int] }

struct CodeLens: Encodable, Sendable {
  var range: Range
  var command: Command?
}

struct ExecuteCommandParams: Decodable, Sendable {
  var command: String
  var arguments: [JSONValue]?
}

struct ShowMessageParams: Encodable, Sendable {
  /// 1 error, 2 warning, 3 info.
  var type: Int
  var message: String
}
