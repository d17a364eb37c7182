/// One rule file as read from disk: its path as the user wrote it, its raw bytes, and a line map.
///
/// Bytes are kept as they are (even invalid UTF-8) so that every span is a byte range into exactly
/// what is on disk; text for humans is decoded only when rendering.
public struct SourceFile: Sendable, Hashable {
  /// Index of this file in the `SourceMap` that owns it.
  public let id: SourceFileID
  /// The path as given by the user (relative paths stay relative, so output is reproducible).
  public let path: String
  public let bytes: [UInt8]
  /// Byte offset at which each line starts; line 1 starts at 0.
  public let lineStarts: [Int]

  public init(id: SourceFileID, path: String, bytes: [UInt8]) {
    self.id = id
    self.path = path
    self.bytes = bytes
    var starts = [0]
    for (offset, byte) in bytes.enumerated() where byte == UInt8(ascii: "\n") {
      starts.append(offset + 1)
    }
    self.lineStarts = starts
  }

  public init(id: SourceFileID, path: String, text: String) {
    self.init(id: id, path: path, bytes: Array(text.utf8))
  }

  /// The 1-based line containing `offset` (an offset equal to the file size is on the last line).
  public func line(ofOffset offset: Int) -> Int {
    // Binary search for the last line start <= offset.
    var low = 0
    var high = lineStarts.count - 1
    while low < high {
      let mid = (low + high + 1) / 2
      if lineStarts[mid] <= offset { low = mid } else { high = mid - 1 }
    }
    return low + 1
  }

  /// 1-based line and 1-based column counted in characters (grapheme clusters), as editors and
  /// the JSON output count them.
  public func location(ofOffset offset: Int) -> SourceLocation {
    let clamped = min(max(offset, 0), bytes.count)
    let line = line(ofOffset: clamped)
    let start = lineStarts[line - 1]
    let prefix = String(decoding: bytes[start..<clamped], as: UTF8.self)
    return SourceLocation(line: line, column: prefix.count + 1)
  }

  /// Byte range of a 1-based line, without its line terminator.
  public func byteRange(ofLine line: Int) -> Range<Int> {
    let start = lineStarts[line - 1]
    var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
    if end > start, bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
    return start..<max(start, end)
  }

  /// The text of a 1-based line, invalid UTF-8 replaced by U+FFFD.
  public func text(ofLine line: Int) -> String {
    String(decoding: bytes[byteRange(ofLine: line)], as: UTF8.self)
  }

  /// The source text covered by a span, decoded leniently.
  public func text(of span: SourceSpan) -> String {
    let lower = min(max(span.start, 0), bytes.count)
    let upper = min(max(span.end, lower), bytes.count)
    return String(decoding: bytes[lower..<upper], as: UTF8.self)
  }
}

/// Identifies a file within a `SourceMap`.
public struct SourceFileID: Sendable, Hashable, Comparable, Codable {
  public let rawValue: Int
  public init(_ rawValue: Int) { self.rawValue = rawValue }
  public static func < (lhs: SourceFileID, rhs: SourceFileID) -> Bool {
    lhs.rawValue < rhs.rawValue
  }
}

/// A 1-based line and column (columns counted in characters).
public struct SourceLocation: Sendable, Hashable, Codable, CustomStringConvertible {
  public var line: Int
  public var column: Int
  public init(line: Int, column: Int) {
    self.line = line
    self.column = column
  }
  public var description: String { "\(line):\(column)" }
}

/// A half-open UTF-8 byte range in one source file. The only span type in Etiquette: line and
/// column are computed when a human needs them, never stored.
public struct SourceSpan: Sendable, Hashable, Codable, CustomStringConvertible {
  public var file: SourceFileID
  public var start: Int
  public var end: Int

  public init(file: SourceFileID, start: Int, end: Int) {
    // INVARIANT: start <= end; an empty span marks a point (e.g. where a token was expected).
    self.file = file
    self.start = start
    self.end = max(start, end)
  }

  /// A span with no extent, used when nothing better is known (synthesised nodes in tests).
  public static let unknown = SourceSpan(file: SourceFileID(-1), start: 0, end: 0)

  public var isEmpty: Bool { start == end }
  public var length: Int { end - start }

  /// The smallest span covering both (both must be in the same file).
  public func merged(with other: SourceSpan) -> SourceSpan {
    guard other.file == file else { return self }
    return SourceSpan(file: file, start: min(start, other.start), end: max(end, other.end))
  }

  public var description: String { "\(file.rawValue):\(start)..<\(end)" }
}

/// All files of one rule set, addressable by `SourceFileID`.
public struct SourceMap: Sendable {
  public private(set) var files: [SourceFile] = []

  public init() {}

  /// Adds a file and returns it with its id assigned.
  @discardableResult
  public mutating func add(path: String, bytes: [UInt8]) -> SourceFile {
    let file = SourceFile(id: SourceFileID(files.count), path: path, bytes: bytes)
    files.append(file)
    return file
  }

  @discardableResult
  public mutating func add(path: String, text: String) -> SourceFile {
    add(path: path, bytes: Array(text.utf8))
  }

  public subscript(id: SourceFileID) -> SourceFile? {
    files.indices.contains(id.rawValue) ? files[id.rawValue] : nil
  }

  /// "path:line:column" of the start of a span, as shown in diagnostics and test failures.
  public func describe(_ span: SourceSpan) -> String {
    guard let file = self[span.file] else { return "<unknown>" }
    return "\(file.path):\(file.location(ofOffset: span.start))"
  }
}
