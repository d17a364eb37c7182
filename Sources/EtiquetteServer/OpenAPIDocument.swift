import Foundation

/// The OpenAPI 3.1 document served at `/openapi.json`: the one copy is
/// `Resources/etiquette.openapi.json` (`openapi/etiquette.openapi.json` at the repository root
/// links to it), a resource of this target. The server tests check every response against it.
enum OpenAPIDocument {
  /// The file as written. Read once; `EtiquetteServer.init` reads it first, so a binary
  /// without its resource bundle (`Etiquette_EtiquetteServer.resources` beside it) stops at
  /// startup with SwiftPM's message, not on the first request for the document.
  static let json: String = {
    guard
      let url = Bundle.module.url(forResource: "etiquette.openapi", withExtension: "json"),
      let text = try? String(contentsOf: url, encoding: .utf8)
    else {
      fatalError("etiquette.openapi.json is missing from the server's resource bundle")
    }
    return text
  }()
}
