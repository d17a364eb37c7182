import EtiquetteEngine
import Foundation

/// A JSON Schema validator for the subset the OpenAPI document uses: `type` (one or a list,
/// `null` among them) and OpenAPI's `nullable`, `properties`, `required`,
/// `additionalProperties`, `items`, `enum`, `const`, `oneOf`, `anyOf`, `allOf`, `$ref` to a
/// JSON pointer in the document, the numeric and length bounds and `pattern`. `format` and the
/// other annotations are ignored; any other keyword is reported, so the document cannot use a
/// keyword this validator would silently skip.
struct JSONSchema: Sendable {
  /// The document `$ref` pointers resolve in.
  let root: JSONValue

  /// Keywords that describe and never constrain.
  static let annotations: Set<String> = [
    "description", "format", "default", "example", "examples", "title", "contentMediaType",
    "contentEncoding", "deprecated", "readOnly", "writeOnly",
  ]
  static let constraints: Set<String> = [
    "$ref", "type", "nullable", "properties", "required", "additionalProperties", "items",
    "enum", "const", "oneOf", "anyOf", "allOf", "minimum", "maximum", "minLength", "maxLength",
    "minItems", "maxItems", "pattern",
  ]

  /// The first place where `value` does not match `schema`, as `$.a.b[2]: why`; nil when it
  /// matches.
  func firstMismatch(_ value: JSONValue, _ schema: JSONValue, at path: String = "$") -> String? {
    if case .bool(let allowed) = schema {
      return allowed ? nil : "\(path): no value is allowed here"
    }
    guard case .object(let keywords) = schema else {
      return "\(path): the schema is not an object"
    }
    for key in keywords.keys.sorted()
    where !Self.annotations.contains(key) && !Self.constraints.contains(key) {
      return "\(path): the schema uses \"\(key)\", which this validator does not support"
    }
    if case .string(let reference)? = keywords["$ref"] {
      guard let target = resolve(reference) else {
        return "\(path): unresolved $ref \"\(reference)\""
      }
      if let mismatch = firstMismatch(value, target, at: path) { return mismatch }
    }
    if value == .null, keywords["nullable"] == .bool(true) { return nil }
    if let mismatch = typeMismatch(value, keywords["type"], at: path) { return mismatch }
    if case .array(let allowed)? = keywords["enum"], !allowed.contains(value) {
      return "\(path): \(Self.show(value)) is not one of \(Self.show(.array(allowed)))"
    }
    if let constant = keywords["const"], constant != value {
      return "\(path): \(Self.show(value)) is not \(Self.show(constant))"
    }
    if let mismatch = combinationMismatch(value, keywords, at: path) { return mismatch }
    switch value {
    case .object(let object):
      return objectMismatch(object, keywords, at: path)
    case .array(let items):
      return arrayMismatch(items, keywords, at: path)
    case .string(let text):
      return stringMismatch(text, keywords, at: path)
    case .number(let number):
      if case .number(let minimum)? = keywords["minimum"], number < minimum {
        return "\(path): \(Self.show(value)) is below the minimum \(Self.show(.number(minimum)))"
      }
      if case .number(let maximum)? = keywords["maximum"], number > maximum {
        return "\(path): \(Self.show(value)) is above the maximum \(Self.show(.number(maximum)))"
      }
      return nil
    case .bool, .null:
      return nil
    }
  }

  /// The keywords of `schema` and of the schemas inside it that this validator does not know.
  func unsupportedKeywords(_ schema: JSONValue, at path: String) -> [String] {
    guard case .object(let keywords) = schema else { return [] }
    var found = keywords.keys.sorted()
      .filter { !Self.annotations.contains($0) && !Self.constraints.contains($0) }
      .map { "\(path): \"\($0)\"" }
    for key in ["items", "additionalProperties"] {
      if let child = keywords[key] { found += unsupportedKeywords(child, at: path + "/" + key) }
    }
    if case .object(let properties)? = keywords["properties"] {
      for name in properties.keys.sorted() {
        found += unsupportedKeywords(properties[name] ?? .null, at: path + "/properties/" + name)
      }
    }
    for key in ["anyOf", "oneOf", "allOf"] {
      if case .array(let list)? = keywords[key] {
        for (index, child) in list.enumerated() {
          found += unsupportedKeywords(child, at: path + "/\(key)/\(index)")
        }
      }
    }
    return found
  }

  /// The value a local JSON pointer (`#/components/schemas/Error`) names.
  func resolve(_ reference: String) -> JSONValue? {
    guard reference.hasPrefix("#") else { return nil }
    var node = root
    for raw in reference.dropFirst().split(separator: "/") {
      let token = raw.replacingOccurrences(of: "~1", with: "/")
        .replacingOccurrences(of: "~0", with: "~")
      switch node {
      case .object(let object):
        guard let next = object[token] else { return nil }
        node = next
      case .array(let items):
        guard let index = Int(token), items.indices.contains(index) else { return nil }
        node = items[index]
      default:
        return nil
      }
    }
    return node
  }

  func typeMismatch(_ value: JSONValue, _ type: JSONValue?, at path: String) -> String? {
    let names: [String]
    switch type {
    case nil: return nil
    case .string(let name)?: names = [name]
    case .array(let list)?:
      names = list.compactMap { if case .string(let name) = $0 { name } else { nil } }
    default: return "\(path): \"type\" is neither a name nor a list of names"
    }
    if names.contains(where: { Self.isOfType(value, $0) }) { return nil }
    let expected = names.count == 1 ? names[0] : "one of " + names.joined(separator: ", ")
    return "\(path): expected \(expected), got \(Self.show(value))"
  }

  static func isOfType(_ value: JSONValue, _ name: String) -> Bool {
    switch (name, value) {
    case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool),
      ("null", .null), ("number", .number):
      true
    case ("integer", .number(let n)): n.isFinite && n == n.rounded()
    default: false
    }
  }

  func combinationMismatch(_ value: JSONValue, _ keywords: [String: JSONValue], at path: String)
    -> String?
  {
    if case .array(let all)? = keywords["allOf"] {
      for schema in all {
        if let mismatch = firstMismatch(value, schema, at: path) { return mismatch }
      }
    }
    if case .array(let any)? = keywords["anyOf"] {
      let mismatches = any.map { firstMismatch(value, $0, at: path) }
      if !mismatches.contains(where: { $0 == nil }) {
        return "\(path): matches none of anyOf (\(Self.summary(mismatches)))"
      }
    }
    if case .array(let one)? = keywords["oneOf"] {
      let mismatches = one.map { firstMismatch(value, $0, at: path) }
      let matching = mismatches.filter { $0 == nil }.count
      if matching == 0 {
        return "\(path): matches none of oneOf (\(Self.summary(mismatches)))"
      }
      if matching > 1 { return "\(path): matches \(matching) schemas of oneOf, not one" }
    }
    return nil
  }

  func objectMismatch(
    _ object: [String: JSONValue], _ keywords: [String: JSONValue], at path: String
  )
    -> String?
  {
    if case .array(let required)? = keywords["required"] {
      for case .string(let name) in required where object[name] == nil {
        return "\(path): missing required property \"\(name)\""
      }
    }
    let properties: [String: JSONValue] =
      if case .object(let p)? = keywords["properties"] { p } else { [:] }
    for name in object.keys.sorted() {
      let child = Self.member(path, name)
      if let schema = properties[name] {
        if let mismatch = firstMismatch(object[name] ?? .null, schema, at: child) {
          return mismatch
        }
      } else if let extra = keywords["additionalProperties"] {
        if extra == .bool(false) { return "\(child): property not allowed by the schema" }
        if let mismatch = firstMismatch(object[name] ?? .null, extra, at: child) {
          return mismatch
        }
      }
    }
    return nil
  }

  func arrayMismatch(_ items: [JSONValue], _ keywords: [String: JSONValue], at path: String)
    -> String?
  {
    if case .number(let minimum)? = keywords["minItems"], Double(items.count) < minimum {
      return "\(path): \(items.count) items, fewer than \(Int(minimum))"
    }
    if case .number(let maximum)? = keywords["maxItems"], Double(items.count) > maximum {
      return "\(path): \(items.count) items, more than \(Int(maximum))"
    }
    guard let schema = keywords["items"] else { return nil }
    for (index, item) in items.enumerated() {
      if let mismatch = firstMismatch(item, schema, at: "\(path)[\(index)]") { return mismatch }
    }
    return nil
  }

  func stringMismatch(_ text: String, _ keywords: [String: JSONValue], at path: String)
    -> String?
  {
    // JSON Schema counts characters as code points.
    let length = Double(text.unicodeScalars.count)
    if case .number(let minimum)? = keywords["minLength"], length < minimum {
      return "\(path): \(Self.show(.string(text))) is shorter than \(Int(minimum))"
    }
    if case .number(let maximum)? = keywords["maxLength"], length > maximum {
      return "\(path): a string of \(Int(length)) characters, longer than \(Int(maximum))"
    }
    if case .string(let pattern)? = keywords["pattern"] {
      guard let expression = try? NSRegularExpression(pattern: pattern) else {
        return "\(path): invalid pattern \(pattern)"
      }
      let range = NSRange(text.startIndex..., in: text)
      if expression.firstMatch(in: text, range: range) == nil {
        return "\(path): \(Self.show(.string(text))) does not match /\(pattern)/"
      }
    }
    return nil
  }

  /// `$.a` for an identifier-like name, `$["a b"]` otherwise.
  static func member(_ path: String, _ name: String) -> String {
    let plain = !name.isEmpty && name.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" }
    return plain ? "\(path).\(name)" : "\(path)[\(show(.string(name)))]"
  }

  static func summary(_ mismatches: [String?]) -> String {
    mismatches.compactMap { $0 }.joined(separator: "; ")
  }

  /// A value as compact JSON, cut at 80 characters so that a message stays readable.
  static func show(_ value: JSONValue) -> String {
    let text = JSONLine.encode(value)
    return text.count > 80 ? String(text.prefix(77)) + "…" : text
  }
}
