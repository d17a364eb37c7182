import EtiquetteEngine
import Foundation
import HTTPTypes
import Testing

@testable import EtiquetteServer

/// The validator the contract relies on: it must reject what does not match, or every server
/// test would pass against any document.
@Suite struct JSONSchemaTests {
  static let root = try! JSONValue.parse(
    #"""
    {"components": {"schemas": {
      "Error": {"type": "object", "required": ["error"],
        "properties": {"error": {"type": "object", "required": ["code"],
          "properties": {"code": {"type": "string"}}}}},
      "a/b": {"type": "integer"}
    }}}
    """#)

  /// Schema, value, and the mismatch expected (nil: the value matches).
  static let cases: [(String, String, String?)] = [
    (#"{"type": "string"}"#, #""x""#, nil),
    (#"{"type": "string"}"#, "3", "$: expected string, got 3"),
    (#"{"type": "integer"}"#, "3", nil),
    (#"{"type": "integer"}"#, "3.5", "$: expected integer, got 3.5"),
    (#"{"type": "number"}"#, "3.5", nil),
    (#"{"type": "boolean"}"#, "0", "$: expected boolean, got 0"),
    (#"{"type": "object"}"#, "[]", "$: expected object, got []"),
    (#"{"type": "array"}"#, "{}", "$: expected array, got {}"),
    (#"{"type": "string"}"#, "null", "$: expected string, got null"),
    (#"{"type": ["string", "null"]}"#, "null", nil),
    (#"{"type": ["string", "null"]}"#, "1", "$: expected one of string, null, got 1"),
    (#"{"type": "string", "nullable": true}"#, "null", nil),
    (#"{"enum": ["a", "b"]}"#, #""b""#, nil),
    (#"{"enum": ["a", "b"]}"#, #""c""#, #"$: "c" is not one of ["a","b"]"#),
    (#"{"const": "queued"}"#, #""sent""#, #"$: "sent" is not "queued""#),
    (
      #"{"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}"#,
      #"{"name": "x"}"#, #"$: missing required property "id""#
    ),
    (
      #"{"type": "object", "properties": {"a": {"type": "object", "properties": {"b": {"type": "integer"}}}}}"#,
      #"{"a": {"b": "two"}}"#, #"$.a.b: expected integer, got "two""#
    ),
    (
      #"{"type": "object", "properties": {"a b": {"type": "integer"}}}"#,
      #"{"a b": true}"#, #"$["a b"]: expected integer, got true"#
    ),
    (
      #"{"type": "object", "additionalProperties": false}"#, #"{"x": 1}"#,
      "$.x: property not allowed by the schema"
    ),
    (
      #"{"type": "object", "additionalProperties": {"type": "integer"}}"#, #"{"x": 1, "y": "2"}"#,
      #"$.y: expected integer, got "2""#
    ),
    (#"{"type": "array", "items": {"type": "string"}}"#, #"["a", "b"]"#, nil),
    (
      #"{"type": "array", "items": {"type": "string"}}"#, #"["a", 2]"#,
      "$[1]: expected string, got 2"
    ),
    (##"{"$ref": "#/components/schemas/Error"}"##, #"{"error": {"code": "x"}}"#, nil),
    (
      ##"{"$ref": "#/components/schemas/Error"}"##, #"{"error": {"message": "x"}}"#,
      #"$.error: missing required property "code""#
    ),
    (##"{"$ref": "#/components/schemas/a~1b"}"##, "1.5", "$: expected integer, got 1.5"),
    (
      ##"{"$ref": "#/components/schemas/Nope"}"##, "1",
      ##"$: unresolved $ref "#/components/schemas/Nope""##
    ),
    (#"{"anyOf": [{"type": "string"}, {"type": "null"}]}"#, "null", nil),
    (
      #"{"anyOf": [{"type": "string"}, {"type": "null"}]}"#, "1",
      "$: matches none of anyOf ($: expected string, got 1; $: expected null, got 1)"
    ),
    (#"{"oneOf": [{"type": "integer"}, {"type": "string"}]}"#, "1", nil),
    (
      #"{"oneOf": [{"type": "integer"}, {"type": "number"}]}"#, "1",
      "$: matches 2 schemas of oneOf, not one"
    ),
    (
      ##"{"allOf": [{"$ref": "#/components/schemas/Error"}, {"required": ["version"]}]}"##,
      #"{"error": {"code": "x"}}"#, #"$: missing required property "version""#
    ),
    (#"{"type": "integer", "minimum": 1}"#, "0", "$: 0 is below the minimum 1"),
    (#"{"type": "integer", "maximum": 200}"#, "201", "$: 201 is above the maximum 200"),
    (#"{"type": "string", "minLength": 1}"#, #""""#, #"$: "" is shorter than 1"#),
    (
      #"{"type": "string", "maxLength": 2}"#, #""éèà""#,
      "$: a string of 3 characters, longer than 2"
    ),
    (#"{"type": "string", "pattern": "^sha256=[0-9a-f]+$"}"#, #""sha256=00""#, nil),
    (
      #"{"type": "string", "pattern": "^sha256=[0-9a-f]+$"}"#, #""md5=00""#,
      #"$: "md5=00" does not match /^sha256=[0-9a-f]+$/"#
    ),
    (#"{"type": "string", "format": "date-time", "description": "ignored"}"#, #""soon""#, nil),
    (
      #"{"type": "string", "if": {}}"#, #""x""#,
      #"$: the schema uses "if", which this validator does not support"#
    ),
    (#"{}"#, #"{"anything": [1, null]}"#, nil),
  ]

  @Test(arguments: cases)
  func validates(_ schema: String, _ value: String, _ expected: String?) throws {
    let validator = JSONSchema(root: Self.root)
    #expect(
      validator.firstMismatch(try JSONValue.parse(value), try JSONValue.parse(schema))
        == expected)
  }
}

/// The contract's lookups: path templates, statuses, content types and bodies, each refused
/// with the method, path and status named.
@Suite struct OpenAPIContractTests {
  static let contract = OpenAPIContract(
    document: try! JSONValue.parse(
      #"""
      {"paths": {
        "/items/{id}": {"get": {"responses": {
          "200": {"description": "", "content": {"application/json": {"schema":
            {"type": "object", "required": ["id"], "properties": {"id": {"type": "string"}}}}}},
          "204": {"description": "nothing"},
          "404": {"$ref": "#/components/responses/Error"}}},
          "delete": {"responses": {"204": {"description": ""}}}},
        "/items/all": {"get": {"responses": {"200": {"description": "", "content":
          {"text/plain": {"schema": {"type": "string"}}}}}}},
        "/files/{id}": {"get": {"responses": {"200": {"description": "", "content":
          {"*/*": {"schema": {"type": "string"}}}}}}}
      },
      "components": {"responses": {"Error": {"description": "", "content": {"application/json":
        {"schema": {"type": "object", "required": ["error"]}}}}}}}
      """#))

  static func exchange(
    _ method: String, _ uri: String, _ status: Int, _ contentType: String? = "application/json",
    _ body: String = "", allow: String? = nil
  ) -> OpenAPIContract.Exchange {
    var headers = HTTPFields()
    if let contentType { headers[.contentType] = contentType }
    if let allow { headers[.allow] = allow }
    return .init(method: method, uri: uri, status: status, headers: headers, body: Array(body.utf8))
  }

  static let cases: [(OpenAPIContract.Exchange, String?)] = [
    (exchange("GET", "/items/7?x=1", 200, "application/json; charset=utf-8", #"{"id":"7"}"#), nil),
    (
      exchange("GET", "/items/7", 200, "application/json", #"{"id":7}"#),
      "GET /items/{id} → 200: the body does not match the schema: $.id: expected string, got 7"
    ),
    (
      exchange("GET", "/items/7", 200, "application/json", "{oops"),
      "GET /items/{id} → 200: the body is not JSON: {oops"
    ),
    (
      exchange("GET", "/items/7", 500, "application/json", "{}"),
      "GET /items/{id} → 500: status not documented (documented: 200, 204, 404)"
    ),
    (
      exchange("GET", "/items/7", 200, "text/html", "<p>"),
      "GET /items/{id} → 200: Content-Type text/html is not documented (documented: application/json)"
    ),
    (
      exchange("GET", "/items/7", 204, "application/json", "{}"),
      "GET /items/{id} → 204: the document gives no body, the server sent application/json: {}"
    ),
    (exchange("GET", "/items/7", 204, nil), nil),
    (exchange("GET", "/items/7", 404, "application/json", #"{"error":{}}"#), nil),
    (
      exchange("GET", "/items/7", 404, "application/json", #"{"message":"x"}"#),
      #"GET /items/{id} → 404: the body does not match the schema: $: missing required property "error""#
    ),
    // The literal segment wins over the template.
    (exchange("GET", "/items/all", 200, "text/plain; charset=utf-8", "all"), nil),
    (exchange("GET", "/files/a", 200, "image/jpeg", "\u{FF}"), nil),
    (
      exchange("GET", "/nowhere", 404, "application/json", "{}"),
      "GET /nowhere → 404: the OpenAPI document has no path matching /nowhere"
    ),
    (
      exchange("POST", "/items/7", 200, "application/json", "{}"),
      "POST /items/7 → 200: /items/{id} documents no POST (only DELETE, GET)"
    ),
    (
      exchange("PUT", "/items/7", 405, "application/json", #"{"error":{}}"#, allow: "DELETE, GET"),
      nil
    ),
    (
      exchange("PUT", "/items/7", 405, "application/json", #"{"error":{}}"#, allow: "GET"),
      "PUT /items/7 → 405: Allow is GET, expected DELETE, GET"
    ),
  ]

  @Test(arguments: cases)
  func checks(_ exchange: OpenAPIContract.Exchange, _ expected: String?) {
    #expect(Self.contract.violation(exchange) == expected)
  }

  /// The served document itself: every `$ref` resolves and every schema, however deep, uses
  /// only keywords the validator knows (an unknown one would be skipped silently otherwise).
  @Test func theServedDocumentUsesTheSupportedSubset() {
    let contract = OpenAPIContract.served
    var problems: [String] = []
    func walk(_ node: JSONValue, _ path: String) {
      switch node {
      case .object(let object):
        if case .string(let reference)? = object["$ref"], contract.schema.resolve(reference) == nil
        {
          problems.append("\(path): unresolved \(reference)")
        }
        for (key, value) in object {
          if key == "schema" || path == "#/components/schemas" {
            problems += contract.schema.unsupportedKeywords(value, at: path + "/" + key)
          }
          walk(value, path + "/" + key)
        }
      case .array(let items):
        for (index, item) in items.enumerated() { walk(item, path + "/\(index)") }
      default:
        break
      }
    }
    walk(contract.document, "#")
    #expect(problems == [])
  }

  @Test func unsupportedKeywordsAreFoundAtAnyDepth() throws {
    let schema = try JSONValue.parse(
      #"{"type": "object", "properties": {"a": {"type": "array", "items": {"if": {}}}}}"#)
    #expect(
      JSONSchema(root: .null).unsupportedKeywords(schema, at: "#")
        == [#"#/properties/a/items: "if""#])
  }
}
