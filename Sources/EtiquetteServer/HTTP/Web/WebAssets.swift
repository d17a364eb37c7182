import Crypto
import Foundation

/// The web inbox's static files (`Resources/Web/static`), served under names that carry a hash
/// of their content (`inbox.3f2a9c1b.css`): a page always names the current file, so browsers
/// may keep each one for a year.
struct WebAssets: Sendable {
  struct Asset: Sendable {
    var body: [UInt8]
    var contentType: String
  }

  /// Versioned name → file.
  let files: [String: Asset]
  /// Plain name (`inbox.css`) → path a page links to (`/static/inbox.3f2a9c1b.css`).
  let paths: [String: String]

  init(directory: URL) throws {
    var files: [String: Asset] = [:]
    var paths: [String: String] = [:]
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    for name in names where !name.hasPrefix(".") {
      let body = try Array(Data(contentsOf: directory.appendingPathComponent(name)))
      let versioned = Self.versionedName(name, body: body)
      files[versioned] = Asset(body: body, contentType: Self.contentType(of: name))
      paths[name] = "/static/" + versioned
    }
    self.files = files
    self.paths = paths
  }

  /// `inbox.css` with its content's hash: `inbox.<8 hex digits>.css`.
  static func versionedName(_ name: String, body: [UInt8]) -> String {
    let digest = SHA256.hash(data: body).hexString.prefix(8)
    guard let dot = name.lastIndex(of: ".") else { return "\(name).\(digest)" }
    return "\(name[..<dot]).\(digest)\(name[dot...])"
  }

  static func contentType(of name: String) -> String {
    switch name.split(separator: ".").last {
    case "css": "text/css; charset=utf-8"
    case "js": "text/javascript; charset=utf-8"
    case "svg": "image/svg+xml"
    case "png": "image/png"
    case "json", "webmanifest": "application/manifest+json"
    default: "application/octet-stream"
    }
  }

  /// The stylesheet of the rules' label colours, named by the rule-set version: chips take
  /// their colour from a class, since the CSP allows no inline style.
  static func labelStylesheet(colors: [(index: Int, color: String?)]) -> String {
    var css = ""
    for (index, color) in colors {
      guard let color, let (background, text) = chipColors(color) else { continue }
      css += ".chip.label-\(index) { background: \(background); color: \(text); }\n"
    }
    return css
  }

  /// A `#rgb` or `#rrggbb` colour and the text colour readable on it (black or white, by
  /// WCAG relative luminance); nil for anything else, so nothing from the rules reaches the CSS
  /// unchecked.
  static func chipColors(_ color: String) -> (String, String)? {
    var hex = Array(color.utf8.dropFirst())
    guard color.hasPrefix("#"), hex.count == 3 || hex.count == 6,
      hex.allSatisfy({ ($0 >= 48 && $0 <= 57) || ($0 >= 97 && $0 <= 102) || ($0 >= 65 && $0 <= 70) }
      )
    else { return nil }
    if hex.count == 3 { hex = hex.flatMap { [$0, $0] } }
    let value = Int(String(decoding: hex, as: UTF8.self), radix: 16) ?? 0
    func linear(_ channel: Int) -> Double {
      let c = Double(channel) / 255
      return c <= 0.03928 ? c / 12.92 : pow((c + 0.055) / 1.055, 2.4)
    }
    let luminance =
      0.2126 * linear((value >> 16) & 0xff) + 0.7152 * linear((value >> 8) & 0xff)
      + 0.0722 * linear(value & 0xff)
    // Contrast with white is (1.05)/(L+0.05), with black (L+0.05)/0.05: the larger wins.
    let text = 1.05 / (luminance + 0.05) >= (luminance + 0.05) / 0.05 ? "#ffffff" : "#000000"
    return ("#" + String(decoding: hex, as: UTF8.self), text)
  }
}
