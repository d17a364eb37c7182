import Foundation

/// Compares output with a checked-in expected file. With `ETIQUETTE_UPDATE_GOLDEN=1` in the
/// environment it (re)writes the file instead, and the diff is reviewed like code.
public enum GoldenFile {
  public static var isUpdating: Bool {
    ProcessInfo.processInfo.environment["ETIQUETTE_UPDATE_GOLDEN"] == "1"
  }

  /// Returns nil when `actual` equals the file's content (or the file was just written), else a
  /// readable description of the first difference.
  public static func mismatch(actual: String, expectedPath: String) -> String? {
    let url = URL(fileURLWithPath: expectedPath)
    if isUpdating {
      try? FileManager.default.createDirectory(
        at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
      do { try Data(actual.utf8).write(to: url) } catch {
        return "cannot write \(expectedPath): \(error)"
      }
      return nil
    }
    guard let data = FileManager.default.contents(atPath: expectedPath) else {
      return "missing golden file \(expectedPath); run with ETIQUETTE_UPDATE_GOLDEN=1 to create it"
    }
    let expected = String(decoding: data, as: UTF8.self)
    if expected == actual { return nil }
    let a = actual.split(separator: "\n", omittingEmptySubsequences: false)
    let e = expected.split(separator: "\n", omittingEmptySubsequences: false)
    for i in 0..<max(a.count, e.count) {
      let al = i < a.count ? String(a[i]) : "<end of output>"
      let el = i < e.count ? String(e[i]) : "<end of file>"
      if al != el {
        return "\(expectedPath):\(i + 1) differs\n  expected: \(el)\n  actual:   \(al)\n"
          + "(ETIQUETTE_UPDATE_GOLDEN=1 regenerates it; review the diff)\n--- full output ---\n\(actual)"
      }
    }
    return "\(expectedPath) differs"
  }

  /// Files in a folder with the given extension, sorted, as paths.
  public static func files(in directory: String, withExtension ext: String) -> [String] {
    let names = (try? FileManager.default.contentsOfDirectory(atPath: directory)) ?? []
    return names.filter { $0.hasSuffix("." + ext) }.sorted().map { directory + "/" + $0 }
  }

  /// The folder of the calling test file: `GoldenFile.directory(of: #filePath) + "/Fixtures"`.
  public static func directory(of filePath: String) -> String {
    URL(fileURLWithPath: filePath).deletingLastPathComponent().path
  }

  /// The repository root, found from a test file's path (the folder holding Package.swift).
  public static func repositoryRoot(from filePath: String) -> String {
    var url = URL(fileURLWithPath: filePath).deletingLastPathComponent()
    while url.path != "/" {
      if FileManager.default.fileExists(atPath: url.appendingPathComponent("Package.swift").path) {
        return url.path
      }
      url = url.deletingLastPathComponent()
    }
    return FileManager.default.currentDirectoryPath
  }
}

/// Inline sources with markers such as `1️⃣` (as swift-format's tests do): the markers are removed
/// and their byte offsets in the clean text returned, so a test can assert what is reported where.
public struct MarkedSource {
  public let text: String
  /// Marker → byte offset in `text`.
  public let markers: [String: Int]

  public static let markerSymbols = ["0️⃣", "1️⃣", "2️⃣", "3️⃣", "4️⃣", "5️⃣", "6️⃣", "7️⃣", "8️⃣", "9️⃣"]

  public init(_ marked: String) {
    var text = ""
    var markers: [String: Int] = [:]
    var rest = Substring(marked)
    outer: while !rest.isEmpty {
      for symbol in Self.markerSymbols where rest.hasPrefix(symbol) {
        markers[symbol] = text.utf8.count
        rest = rest.dropFirst(symbol.count)
        continue outer
      }
      text.append(rest.removeFirst())
    }
    self.text = text
    self.markers = markers
  }
}
