import Foundation

/// One frame read from the client: a message body, or a header block that could not be read.
public enum Frame: Sendable, Equatable {
  case message(Data)
  /// A header block without a usable `Content-Length`; the reader skipped it and goes on.
  case malformed(String)
}

/// Reads `Content-Length`-framed messages (the LSP base protocol) from a file descriptor.
///
/// Reads block, so the reader runs on a thread of its own, never on the cooperative pool.
public final class FrameReader: @unchecked Sendable {
  // INVARIANT: used from one thread at a time (the server's reading thread, or one test).
  private let handle: FileHandle
  private var buffer: [UInt8] = []
  private var position = 0
  private var atEnd = false

  /// Larger frames are refused as malformed, so a bad header cannot make the server allocate
  /// without bound. Ten times the 10 MB buffer the issue asks the server to handle.
  public static let maximumFrameLength = 100 * 1024 * 1024

  public init(handle: FileHandle) {
    self.handle = handle
  }

  /// The next frame, or nil at the end of the input.
  public func next() -> Frame? {
    while true {
      guard let headerEnd = findHeaderEnd() else {
        guard fill() else { return nil }
        continue
      }
      let header = String(decoding: buffer[position..<headerEnd], as: UTF8.self)
      position = headerEnd + 4
      guard let length = Self.contentLength(in: header), length <= Self.maximumFrameLength else {
        compact()
        return .malformed(header)
      }
      while buffer.count - position < length {
        guard fill() else { return nil }
      }
      let body = Data(buffer[position..<(position + length)])
      position += length
      compact()
      return .message(body)
    }
  }

  static func contentLength(in header: String) -> Int? {
    for line in header.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" }) {
      let parts = line.split(separator: ":", maxSplits: 1)
      guard parts.count == 2,
        parts[0].trimmingCharacters(in: .whitespaces).lowercased() == "content-length"
      else { continue }
      return Int(parts[1].trimmingCharacters(in: .whitespaces)).flatMap { $0 >= 0 ? $0 : nil }
    }
    return nil
  }

  private func findHeaderEnd() -> Int? {
    guard buffer.count - position >= 4 else { return nil }
    var index = position
    while index + 3 < buffer.count {
      if buffer[index] == 13, buffer[index + 1] == 10, buffer[index + 2] == 13,
        buffer[index + 3] == 10
      {
        return index
      }
      index += 1
    }
    return nil
  }

  /// Reads more bytes; false at the end of the input.
  private func fill() -> Bool {
    if atEnd { return false }
    let data = handle.availableData
    if data.isEmpty {
      atEnd = true
      return false
    }
    buffer.append(contentsOf: data)
    return true
  }

  /// Drops consumed bytes once they are the larger part of the buffer, so reading stays linear.
  private func compact() {
    if position > 0, position * 2 >= buffer.count {
      buffer.removeFirst(position)
      position = 0
    }
  }
}

/// Writes `Content-Length`-framed messages; several tasks may write, one frame at a time.
public final class FrameWriter: @unchecked Sendable {
  // INVARIANT: `handle` is written only while `lock` is held, so frames never interleave.
  private let handle: FileHandle
  private let lock = NSLock()

  public init(handle: FileHandle) {
    self.handle = handle
  }

  public func write(_ body: Data) {
    var frame = Data("Content-Length: \(body.count)\r\n\r\n".utf8)
    frame.append(body)
    lock.lock()
    defer { lock.unlock() }
    // A client that went away makes the write fail; the reader sees the end of input and stops.
    try? handle.write(contentsOf: frame)
  }
}
