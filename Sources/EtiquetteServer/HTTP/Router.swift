import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// Registers routes on a router (or only records them, for the OpenAPI agreement test).
struct RouteRecorder {
  let router: Router<InboxServer.Context>?
  var recorded: [InboxServer.RouteDescription] = []

  typealias Handler = @Sendable (Request, InboxServer.Context) async throws -> Response

  mutating func add(_ method: HTTPRequest.Method, _ path: String, _ handler: @escaping Handler) {
    recorded.append(.init(method: method.rawValue, path: path))
    guard let router else { return }
    // OpenAPI's `{id}` is Hummingbird's `:id`.
    let hbPath = path.split(separator: "/", omittingEmptySubsequences: false).map { part in
      part.hasPrefix("{") && part.hasSuffix("}") ? ":" + part.dropFirst().dropLast() : part
    }.joined(separator: "/")
    router.on(RouterPath(hbPath), method: method) { request, context in
      do {
        return try await handler(request, context)
      } catch let error as APIError {
        return error.response
      }
    }
  }
}

/// 405 with `Allow` (RFC 9110 §15.5.6) for a path the server serves with other methods (TRACE
/// among them), where the router alone answers 404: a client learns it used the wrong method,
/// not that the resource is missing.
struct MethodNotAllowedMiddleware: RouterMiddleware {
  typealias Context = InboxServer.Context
  let routes: [InboxServer.RouteDescription]

  func handle(
    _ input: Request, context: Context,
    next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    do {
      return try await next(input, context)
    } catch let error as HTTPError where error.status == .notFound {
      let allowed = Self.methods(serving: input.uri.path, in: routes)
      guard !allowed.isEmpty, !allowed.contains(input.method.rawValue) else { throw error }
      let list = allowed.sorted().joined(separator: ", ")
      var response = APIError(
        status: .methodNotAllowed, code: "method_not_allowed",
        message: "\(input.method.rawValue) is not allowed here; allowed: \(list)"
      ).response
      response.headers[.allow] = list
      return response
    }
  }

  /// The methods of the routes whose pattern (`/v1/conversations/{id}`) matches `path`.
  static func methods(serving path: String, in routes: [InboxServer.RouteDescription])
    -> Set<String>
  {
    let parts = path.split(separator: "/", omittingEmptySubsequences: false)
    var methods: Set<String> = []
    for route in routes {
      let pattern = route.path.split(separator: "/", omittingEmptySubsequences: false)
      guard pattern.count == parts.count else { continue }
      let matches = zip(pattern, parts).allSatisfy { expected, actual in
        (expected.hasPrefix("{") && !actual.isEmpty) || expected == actual
      }
      if matches { methods.insert(route.method) }
    }
    return methods
  }
}

/// Times every request into the latency histogram, by route pattern.

/// 503 with `Retry-After` when the store cannot be reached (PostgreSQL down or restarting): a
/// client — WhatsApp's webhook delivery, a browser, an integration — learns to try again
/// shortly, rather than a 500 that reads as a bug. Nothing was committed: a store error
/// inside a change rolls it back whole. While the store is known to be down, requests are
/// answered at once without trying it, except `/healthz` (the process is alive) and
/// `/metrics` (an operator watches the outage there).
struct StoreUnavailableMiddleware: RouterMiddleware {
  typealias Context = InboxServer.Context
  let isUnavailable: @Sendable (any Error) -> Bool
  let isReachable: @Sendable () -> Bool

  static let answeredWhileDown: Set<String> = ["/healthz", "/metrics"]

  func handle(
    _ input: Request, context: Context,
    next: (Request, Context) async throws -> Response
  ) async throws -> Response {
    guard isReachable() || Self.answeredWhileDown.contains(input.uri.path) else {
      return Self.unavailable
    }
    do {
      return try await next(input, context)
    } catch  where isUnavailable(error) {
      return Self.unavailable
    }
  }

  static var unavailable: Response {
    var response = APIError(
      status: .serviceUnavailable, code: "store_unavailable",
      message: "the database cannot be reached right now; try again shortly"
    ).response
    response.headers[.retryAfter] = "1"
    return response
  }
}
