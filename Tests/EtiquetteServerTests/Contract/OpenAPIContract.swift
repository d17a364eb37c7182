import EtiquetteEngine
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import EtiquetteServer

/// The OpenAPI document as a contract every response of the server tests is held to: its path,
/// method and status must be documented, its content type must be one the document gives, and
/// a JSON body must match the schema. A method a documented path does not list must answer
/// 405 with `Allow` naming the documented methods (the document's description says so).
struct OpenAPIContract: Sendable {
  let document: JSONValue
  let schema: JSONSchema

  /// The document the server serves, the one copy in the server's resources.
  static let served: OpenAPIContract = {
    do {
      return OpenAPIContract(document: try JSONValue.parse(OpenAPIDocument.json))
    } catch {
      fatalError("the OpenAPI document is not JSON: \(error)")
    }
  }()

  init(document: JSONValue) {
    self.document = document
    schema = JSONSchema(root: document)
  }

  /// One response as the contract sees it.
  struct Exchange: Sendable {
    var method: String
    /// The request target, with its query.
    var uri: String
    var status: Int
    var headers: HTTPFields
    /// nil when the body is not read (a stream).
    var body: [UInt8]?
  }

  /// What is wrong with a response, naming the method, path and status; nil when it conforms.
  func violation(_ exchange: Exchange) -> String? {
    let path = String(exchange.uri.prefix { $0 != "?" && $0 != "#" })
    let heading = "\(exchange.method) \(path) → \(exchange.status)"
    guard let (template, item) = pathItem(for: path) else {
      return "\(heading): the OpenAPI document has no path matching \(path)"
    }
    let methods = Self.methods.filter { item[$0] != nil }
    guard case .object(let operation)? = item[exchange.method.lowercased()] else {
      let allow = methods.map { $0.uppercased() }.sorted().joined(separator: ", ")
      guard exchange.status == 405 else {
        return "\(heading): \(template) documents no \(exchange.method) (only \(allow))"
      }
      guard exchange.headers[.allow] == allow else {
        return "\(heading): Allow is \(exchange.headers[.allow] ?? "absent"), expected \(allow)"
      }
      return bodyViolation(exchange, content: errorContent, heading: heading)
    }
    // From here the message names the documented template: `/v1/conversations/{id}`.
    let operationHeading = "\(exchange.method) \(template) → \(exchange.status)"
    guard case .object(let responses)? = operation["responses"],
      let documented = responses[String(exchange.status)] ?? responses["default"]
    else {
      let listed = (operation["responses"]?.objectValue ?? [:]).keys.sorted()
      return
        "\(operationHeading): status not documented (documented: \(listed.joined(separator: ", ")))"
    }
    var response = documented
    if case .string(let reference)? = documented["$ref"] {
      guard let target = schema.resolve(reference) else {
        return "\(operationHeading): unresolved $ref \(reference)"
      }
      response = target
    }
    return bodyViolation(
      exchange, content: response["content"]?.objectValue, heading: operationHeading)
  }

  static let methods = ["get", "put", "post", "delete", "options", "head", "patch", "trace"]

  var errorContent: [String: JSONValue]? {
    schema.resolve("#/components/responses/Error")?["content"]?.objectValue
  }

  /// The documented path whose template matches `path`, literal segments before `{params}`.
  func pathItem(for path: String) -> (String, [String: JSONValue])? {
    guard case .object(let paths)? = document["paths"] else { return nil }
    let parts = path.split(separator: "/", omittingEmptySubsequences: false)
    var best: (template: String, item: [String: JSONValue], literals: Int)?
    for (template, item) in paths {
      guard case .object(let operations) = item else { continue }
      let pattern = template.split(separator: "/", omittingEmptySubsequences: false)
      guard pattern.count == parts.count else { continue }
      var literals = 0
      let matches = zip(pattern, parts).allSatisfy { expected, actual in
        if expected.hasPrefix("{") && expected.hasSuffix("}") { return !actual.isEmpty }
        literals += 1
        return expected == actual
      }
      if matches, literals > best?.literals ?? -1 { best = (template, operations, literals) }
    }
    return best.map { ($0.template, $0.item) }
  }

  func bodyViolation(_ exchange: Exchange, content: [String: JSONValue]?, heading: String)
    -> String?
  {
    let contentType = exchange.headers[.contentType]
    guard let content, !content.isEmpty else {
      if let body = exchange.body, !body.isEmpty {
        return "\(heading): the document gives no body, the server sent "
          + "\(contentType ?? "no content type"): \(Self.excerpt(body))"
      }
      return nil
    }
    guard let contentType else {
      return "\(heading): no Content-Type; documented: \(content.keys.sorted())"
    }
    let mediaType = Self.mediaType(contentType)
    guard let (documentedType, media) = Self.bestMatch(mediaType, in: content) else {
      return "\(heading): Content-Type \(contentType) is not documented "
        + "(documented: \(content.keys.sorted().joined(separator: ", ")))"
    }
    // Only JSON is read: a stream, a file or plain text is checked by its content type.
    guard Self.isJSON(documentedType), let bodySchema = media["schema"], let body = exchange.body
    else { return nil }
    let value: JSONValue
    do {
      value = try JSONDecoder().decode(JSONValue.self, from: Data(body))
    } catch {
      return "\(heading): the body is not JSON: \(Self.excerpt(body))"
    }
    guard let mismatch = schema.firstMismatch(value, bodySchema) else { return nil }
    return "\(heading): the body does not match the schema: \(mismatch)"
  }

  /// `application/json` of `application/json; charset=utf-8`.
  static func mediaType(_ header: String) -> String {
    String(header.prefix { $0 != ";" }).trimmingCharacters(in: .whitespaces).lowercased()
  }

  /// The documented media type for `type`: itself, then `type/*`, then `*/*`.
  static func bestMatch(_ type: String, in content: [String: JSONValue])
    -> (String, [String: JSONValue])?
  {
    let family = type.split(separator: "/").first.map { "\($0)/*" } ?? type
    for candidate in [type, family, "*/*"] {
      if case .object(let media)? = content[candidate] { return (candidate, media) }
    }
    return nil
  }

  static func isJSON(_ mediaType: String) -> Bool {
    mediaType == "application/json" || mediaType.hasSuffix("+json")
  }

  static func excerpt(_ body: [UInt8]) -> String {
    let text = String(decoding: body.prefix(200), as: UTF8.self)
    return body.count > 200 ? text + "…" : text
  }
}

extension OpenAPIContract {
  /// Records a test issue when a response breaks the contract.
  static func check(_ exchange: Exchange, sourceLocation: SourceLocation = #_sourceLocation) {
    if let violation = served.violation(exchange) {
      Issue.record(Comment(rawValue: violation), sourceLocation: sourceLocation)
    }
  }

  /// The header fields of a response read with AsyncHTTPClient.
  static func fields(_ pairs: some Sequence<(name: String, value: String)>) -> HTTPFields {
    var fields = HTTPFields()
    for (name, value) in pairs {
      if let name = HTTPField.Name(name) { fields.append(HTTPField(name: name, value: value)) }
    }
    return fields
  }
}

/// A test client whose every response is checked against the OpenAPI document: the server
/// tests reach the server through it (`ServerHarness.test`), so each existing test holds the
/// server to its document without a line of its own.
struct ContractCheckedClient: TestClientProtocol {
  let base: any TestClientProtocol

  func executeRequest(
    uri: String, method: HTTPRequest.Method, headers: HTTPFields, body: ByteBuffer?
  ) async throws -> TestResponse {
    let response = try await base.executeRequest(
      uri: uri, method: method, headers: headers, body: body)
    OpenAPIContract.check(
      .init(
        method: method.rawValue, uri: uri, status: Int(response.status.code),
        headers: response.headers, body: Array(response.body.readableBytesView)))
    return response
  }

  var port: Int? { base.port }

  /// The client without the check, for a request a test makes outside the document on purpose
  /// (a path the server must answer 404).
  static func unchecked(_ client: any TestClientProtocol) -> any TestClientProtocol {
    (client as? ContractCheckedClient)?.base ?? client
  }
}
