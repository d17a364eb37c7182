import EtiquetteDiagnostics
import Foundation

/// The rule files the editor works on: every `.etq` under each workspace folder, read from disk,
/// with the text of the editor's open buffers in place of their files' text.
///
/// Each folder is one rule set, as `etiquette check FOLDER` sees it. A file opened outside every
/// folder adds its directory as one more folder.
public struct Workspace: Sendable {
  /// Absolute folder paths, without a trailing slash.
  public private(set) var roots: [String] = []
  /// Text on disk, by absolute path.
  private var disk: [String: [UInt8]] = [:]
  /// Editor buffers, by absolute path.
  private var open: [String: OpenDocument] = [:]
  /// The URI the editor used for a path, so diagnostics go back under the same spelling.
  private var uris: [String: String] = [:]

  /// One editor buffer.
  struct OpenDocument: Sendable {
    var version: Int?
    var bytes: [UInt8]
  }

  public init() {}

  /// Adds a folder and reads its `.etq` files.
  public mutating func addRoot(_ path: String) {
    let root = Self.normalised(path)
    guard !roots.contains(root) else { return }
    roots.append(root)
    for file in Self.ruleFiles(under: root) where disk[file] == nil {
      disk[file] = FileManager.default.contents(atPath: file).map { Array($0) } ?? []
    }
  }

  /// The folder whose rule set contains a path (the longest folder prefix).
  public func root(of path: String) -> String? {
    roots.filter { path.hasPrefix($0 + "/") }.max { $0.count < $1.count }
  }

  // MARK: Buffers

  mutating func openDocument(uri: String, version: Int?, text: String) {
    let path = Self.path(of: uri)
    uris[path] = uri
    if root(of: path) == nil {
      addRoot((path as NSString).deletingLastPathComponent)
    }
    open[path] = OpenDocument(version: version, bytes: Array(text.utf8))
  }

  /// Applies the editor's changes in order; a change without a range replaces the whole text.
  mutating func change(uri: String, version: Int?, changes: [TextDocumentContentChangeEvent]) {
    let path = Self.path(of: uri)
    var document = open[path] ?? OpenDocument(version: nil, bytes: disk[path] ?? [])
    for change in changes {
      guard let range = change.range else {
        document.bytes = Array(change.text.utf8)
        continue
      }
      let file = SourceFile(id: SourceFileID(0), path: path, bytes: document.bytes)
      let start = file.offset(of: range.start)
      let end = max(start, file.offset(of: range.end))
      document.bytes.replaceSubrange(start..<end, with: Array(change.text.utf8))
    }
    document.version = version
    open[path] = document
    if root(of: path) == nil { addRoot((path as NSString).deletingLastPathComponent) }
  }

  /// Closing a buffer brings back the file's text on disk (or drops a file never saved).
  mutating func closeDocument(uri: String) {
    let path = Self.path(of: uri)
    open[path] = nil
    if let data = FileManager.default.contents(atPath: path) {
      disk[path] = Array(data)
    } else {
      disk[path] = nil
    }
  }

  /// Reads a file again after the editor saved it or another program changed it.
  mutating func reload(path: String) {
    if let data = FileManager.default.contents(atPath: path) {
      disk[path] = Array(data)
    } else {
      disk[path] = nil
    }
  }

  func version(ofPath path: String) -> Int? { open[path]?.version }

  func isOpen(_ path: String) -> Bool { open[path] != nil }

  /// The current text of a file: the buffer when open, else the disk.
  func bytes(ofPath path: String) -> [UInt8]? { open[path]?.bytes ?? disk[path] }

  // MARK: Rule sets

  /// The files of one folder's rule set, sorted as `etiquette check` sorts them.
  func files(inRoot root: String) -> [String] {
    Set(disk.keys).union(open.keys).filter { self.root(of: $0) == root }.sorted()
  }

  func uri(ofPath path: String) -> String {
    uris[path] ?? URL(fileURLWithPath: path).absoluteString
  }

  // MARK: Paths

  static func path(of uri: String) -> String {
    if let url = URL(string: uri), url.isFileURL { return normalised(url.path) }
    return normalised(uri)
  }

  static func normalised(_ path: String) -> String {
    var path = path
    while path.count > 1, path.hasSuffix("/") { path.removeLast() }
    return path
  }

  /// `*.etq` files below a folder, skipping hidden folders such as `.build` and `.git`.
  static func ruleFiles(under root: String) -> [String] {
    guard
      let enumerator = FileManager.default.enumerator(
        at: URL(fileURLWithPath: root), includingPropertiesForKeys: nil,
        options: [.skipsHiddenFiles])
    else { return [] }
    var files: [String] = []
    while let url = enumerator.nextObject() as? URL {
      if url.pathExtension == "etq" { files.append(normalised(url.path)) }
    }
    return files.sorted()
  }
}
