import Foundation

/// JSON text to a `JSONValue` and back in one pass over the bytes, without `Codable`.
///
/// Why not `JSONDecoder().decode(JSONValue.self, …)`: a generic tree through `Decodable` asks
/// every value "are you a Bool? a Double? a String? an array?" and each wrong guess throws; a
/// one-message WhatsApp webhook cost 79 µs of CPU that way in the load benchmark's profile
/// (`Benchmarks/intake-profile.py`), 13 µs with this reader.
///
/// The reader accepts exactly what `JSONDecoder` accepts (RFC 8259, any value at the top,
/// numbers that fit a `Double`, escapes that are whole characters, valid UTF-8, 512 levels at
/// most, and one trailing comma as Foundation allows) and gives the same value; the writer
/// prints what `JSONEncoder` prints with sorted keys and slashes unescaped (whole numbers
/// without ".0", as `JSONValue.encode(to:)`). Both are held to Foundation on generated and
/// mutated documents (`JSONTextTests`).
extension JSONValue {
  /// Why a text is not JSON, with the byte offset where reading stopped.
  public struct SyntaxError: Error, Sendable, CustomStringConvertible {
    public var offset: Int
    public var reason: String
    public var description: String { "\(reason) at byte \(offset)" }
  }

  /// Parses one JSON document from UTF-8 bytes. With `replacingNUL`, a `\u0000` escape in a
  /// string or a key reads as U+FFFD: untrusted text never carries a NUL into C strings,
  /// SQLite or logs, and this costs nothing where the escape does not occur.
  public static func parse(bytes: some Collection<UInt8>, replacingNUL: Bool = false)
    throws(SyntaxError) -> JSONValue
  {
    let parsed: Result<JSONValue, SyntaxError>? = bytes.withContiguousStorageIfAvailable {
      buffer in
      var reader = Reader(buffer)
      reader.replacingNUL = replacingNUL
      return Result { () throws(SyntaxError) in try reader.document() }
    }
    if let parsed { return try parsed.get() }
    let copy = Array(bytes)
    return try copy.withUnsafeBufferPointer { buffer throws(SyntaxError) in
      var reader = Reader(buffer)
      reader.replacingNUL = replacingNUL
      return try reader.document()
    }
  }

  /// Its JSON text as `JSONLine.encode` writes it: keys sorted, no whitespace, `/` unescaped.
  public var jsonText: String {
    var out: [UInt8] = []
    out.reserveCapacity(64)
    write(into: &out)
    return String(decoding: out, as: UTF8.self)
  }

  func write(into out: inout [UInt8]) {
    switch self {
    case .null: out.append(contentsOf: "null".utf8)
    case .bool(let b): out.append(contentsOf: (b ? "true" : "false").utf8)
    case .string(let s): Self.writeString(s, into: &out)
    case .number(let n): Self.writeNumber(n, into: &out)
    case .array(let items):
      out.append(UInt8(ascii: "["))
      for (i, item) in items.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        item.write(into: &out)
      }
      out.append(UInt8(ascii: "]"))
    case .object(let members):
      out.append(UInt8(ascii: "{"))
      // Foundation's `.sortedKeys` orders keys by their UTF-8 bytes.
      let keys = members.keys.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
      for (i, key) in keys.enumerated() {
        if i > 0 { out.append(UInt8(ascii: ",")) }
        Self.writeString(key, into: &out)
        out.append(UInt8(ascii: ":"))
        members[key]!.write(into: &out)
      }
      out.append(UInt8(ascii: "}"))
    }
  }

  private static let hexDigits = Array("0123456789abcdef".utf8)

  static func writeString(_ s: String, into out: inout [UInt8]) {
    out.append(UInt8(ascii: "\""))
    for byte in s.utf8 {
      switch byte {
      case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
      case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
      case 0x0A: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
      case 0x0D: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
      case 0x09: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
      case 0x08: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "b")])
      case 0x0C: out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "f")])
      case 0..<0x20:
        out.append(contentsOf: "\\u00".utf8)
        out.append(hexDigits[Int(byte >> 4)])
        out.append(hexDigits[Int(byte & 0xF)])
      default: out.append(byte)
      }
    }
    out.append(UInt8(ascii: "\""))
  }

  static func writeNumber(_ n: Double, into out: inout [UInt8]) {
    // As `encode(to:)`: whole numbers print as integers, as people write them.
    if n == n.rounded(), abs(n) < 1e15 {
      out.append(contentsOf: String(Int(n)).utf8)
    } else {
      // Rare in what is stored (fractions, huge numbers): Foundation's own spelling.
      out.append(contentsOf: JSONLine.foundationEncode(n).utf8)
    }
  }

  /// A recursive-descent reader over a buffer the caller keeps alive.
  private struct Reader {
    let bytes: UnsafeBufferPointer<UInt8>
    var i = 0
    var depth = 0
    var replacingNUL = false
    static let maxDepth = 512

    init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    func fail(_ reason: String) -> SyntaxError { SyntaxError(offset: i, reason: reason) }

    mutating func document() throws(SyntaxError) -> JSONValue {
      // A UTF-8 byte order mark is skipped, as Foundation does.
      if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { i = 3 }
      skipSpace()
      let value = try self.value()
      skipSpace()
      guard i == bytes.count else { throw fail("unexpected text after the JSON value") }
      return value
    }

    mutating func skipSpace() {
      while i < bytes.count {
        switch bytes[i] {
        case 0x20, 0x0A, 0x0D, 0x09: i += 1
        default: return
        }
      }
    }

    mutating func value() throws(SyntaxError) -> JSONValue {
      guard i < bytes.count else { throw fail("unexpected end of the text") }
      switch bytes[i] {
      case UInt8(ascii: "{"): return try object()
      case UInt8(ascii: "["): return try array()
      case UInt8(ascii: "\""): return .string(try string())
      case UInt8(ascii: "t"): try literal("true"); return .bool(true)
      case UInt8(ascii: "f"): try literal("false"); return .bool(false)
      case UInt8(ascii: "n"): try literal("null"); return .null
      case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
      default: throw fail("unexpected character")
      }
    }

    mutating func literal(_ word: StaticString) throws(SyntaxError) {
      let count = word.utf8CodeUnitCount
      guard bytes.count - i >= count else { throw fail("unexpected end of the text") }
      for k in 0..<count where bytes[i + k] != word.utf8Start[k] {
        throw fail("unexpected character")
      }
      i += count
    }

    mutating func enter() throws(SyntaxError) {
      depth += 1
      guard depth <= Self.maxDepth else { throw fail("too many nested arrays and objects") }
    }

    mutating func array() throws(SyntaxError) -> JSONValue {
      try enter()
      i += 1
      var items: [JSONValue] = []
      skipSpace()
      if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
        i += 1
        depth -= 1
        return .array(items)
      }
      while true {
        skipSpace()
        items.append(try value())
        skipSpace()
        guard i < bytes.count else { throw fail("unexpected end of the text") }
        if bytes[i] == UInt8(ascii: ",") {
          i += 1
          // Foundation accepts a trailing comma ("[1,]"), so must a reader that replaces it.
          skipSpace()
          if i < bytes.count, bytes[i] == UInt8(ascii: "]") {
            i += 1
            depth -= 1
            return .array(items)
          }
        } else if bytes[i] == UInt8(ascii: "]") {
          i += 1
          depth -= 1
          return .array(items)
        } else {
          throw fail("expected \",\" or \"]\"")
        }
      }
    }

    mutating func object() throws(SyntaxError) -> JSONValue {
      try enter()
      i += 1
      var members: [String: JSONValue] = [:]
      skipSpace()
      if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
        i += 1
        depth -= 1
        return .object(members)
      }
      while true {
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: "\"") else {
          throw fail("expected a key in quotes")
        }
        let key = try string()
        skipSpace()
        guard i < bytes.count, bytes[i] == UInt8(ascii: ":") else {
          throw fail("expected \":\"")
        }
        i += 1
        skipSpace()
        // A repeated key keeps its last value, as Foundation's decoding of a dictionary does.
        members[key] = try value()
        skipSpace()
        guard i < bytes.count else { throw fail("unexpected end of the text") }
        if bytes[i] == UInt8(ascii: ",") {
          i += 1
          skipSpace()
          if i < bytes.count, bytes[i] == UInt8(ascii: "}") {
            i += 1
            depth -= 1
            return .object(members)
          }
        } else if bytes[i] == UInt8(ascii: "}") {
          i += 1
          depth -= 1
          return .object(members)
        } else {
          throw fail("expected \",\" or \"}\"")
        }
      }
    }

    mutating func string() throws(SyntaxError) -> String {
      i += 1
      let start = i
      // Fast path: no escape, then the bytes are the string (validated as UTF-8).
      while i < bytes.count {
        let b = bytes[i]
        if b == UInt8(ascii: "\"") {
          let slice = UnsafeBufferPointer(rebasing: bytes[start..<i])
          guard let s = String(validating: slice, as: UTF8.self) else {
            throw fail("the string is not valid UTF-8")
          }
          i += 1
          return s
        }
        if b == UInt8(ascii: "\\") { break }
        if b < 0x20 { throw fail("a control character in a string") }
        i += 1
      }
      var out = Array(UnsafeBufferPointer(rebasing: bytes[start..<i]))
      while i < bytes.count {
        let b = bytes[i]
        switch b {
        case UInt8(ascii: "\""):
          i += 1
          guard let s = String(validating: out, as: UTF8.self) else {
            throw fail("the string is not valid UTF-8")
          }
          return s
        case UInt8(ascii: "\\"):
          i += 1
          guard i < bytes.count else { throw fail("unexpected end of the text") }
          let e = bytes[i]
          i += 1
          switch e {
          case UInt8(ascii: "\""): out.append(0x22)
          case UInt8(ascii: "\\"): out.append(0x5C)
          case UInt8(ascii: "/"): out.append(0x2F)
          case UInt8(ascii: "b"): out.append(0x08)
          case UInt8(ascii: "f"): out.append(0x0C)
          case UInt8(ascii: "n"): out.append(0x0A)
          case UInt8(ascii: "r"): out.append(0x0D)
          case UInt8(ascii: "t"): out.append(0x09)
          case UInt8(ascii: "u"): try unicodeEscape(into: &out)
          default:
            i -= 1
            throw fail("an invalid escape")
          }
        default:
          if b < 0x20 { throw fail("a control character in a string") }
          out.append(b)
          i += 1
        }
      }
      throw fail("unexpected end of the text in a string")
    }

    mutating func hex4() throws(SyntaxError) -> UInt32 {
      guard bytes.count - i >= 4 else { throw fail("unexpected end of the text") }
      var value: UInt32 = 0
      for _ in 0..<4 {
        let b = bytes[i]
        let digit: UInt32
        switch b {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
        case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
        default: throw fail("an invalid \\u escape")
        }
        value = value << 4 | digit
        i += 1
      }
      return value
    }

    mutating func unicodeEscape(into out: inout [UInt8]) throws(SyntaxError) {
      var scalar = try hex4()
      if (0xD800...0xDBFF).contains(scalar) {
        // A high surrogate must be followed by its low half.
        guard bytes.count - i >= 6, bytes[i] == UInt8(ascii: "\\"),
          bytes[i + 1] == UInt8(ascii: "u")
        else { throw fail("a lone surrogate in a \\u escape") }
        i += 2
        let low = try hex4()
        guard (0xDC00...0xDFFF).contains(low) else {
          throw fail("a lone surrogate in a \\u escape")
        }
        scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
      } else if (0xDC00...0xDFFF).contains(scalar) {
        throw fail("a lone surrogate in a \\u escape")
      }
      if scalar == 0, replacingNUL { scalar = 0xFFFD }
      guard let unicode = Unicode.Scalar(scalar) else { throw fail("an invalid \\u escape") }
      out.append(contentsOf: UTF8.encode(unicode)!)
    }

    mutating func number() throws(SyntaxError) -> Double {
      let start = i
      if bytes[i] == UInt8(ascii: "-") { i += 1 }
      guard i < bytes.count else { throw fail("unexpected end of the text in a number") }
      if bytes[i] == UInt8(ascii: "0") {
        i += 1
      } else if isDigit(bytes[i]) {
        while i < bytes.count, isDigit(bytes[i]) { i += 1 }
      } else {
        throw fail("an invalid number")
      }
      if i < bytes.count, bytes[i] == UInt8(ascii: ".") {
        i += 1
        guard i < bytes.count, isDigit(bytes[i]) else { throw fail("an invalid number") }
        while i < bytes.count, isDigit(bytes[i]) { i += 1 }
      }
      if i < bytes.count, bytes[i] == UInt8(ascii: "e") || bytes[i] == UInt8(ascii: "E") {
        i += 1
        if i < bytes.count, bytes[i] == UInt8(ascii: "+") || bytes[i] == UInt8(ascii: "-") {
          i += 1
        }
        guard i < bytes.count, isDigit(bytes[i]) else { throw fail("an invalid number") }
        while i < bytes.count, isDigit(bytes[i]) { i += 1 }
      }
      // A digit right after a leading zero ("01") is not JSON.
      if i < bytes.count, isDigit(bytes[i]) { throw fail("an invalid number") }
      let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<i]), as: UTF8.self)
      guard let value = Double(text), value.isFinite else {
        i = start
        throw fail("a number that does not fit a Double")
      }
      return value
    }

    func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
  }
}
