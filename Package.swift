// swift-tools-version: 6.1
// The pipeline is one module per stage, each depending only on the stages before it:
// diagnostics → syntax → format / checker → matcher → engine → server, with the CLI on top.
import PackageDescription

let package = Package(
  name: "Etiquette",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "etiquette", targets: ["EtiquetteCLI"]),
    .library(name: "EtiquetteSyntax", targets: ["EtiquetteSyntax"]),
    .library(name: "EtiquetteChecker", targets: ["EtiquetteChecker"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2")
  ],
  targets: [
    // PCRE2 from Debian's libpcre2-dev; the shim header fixes the code unit width to 8 bits.
    .systemLibrary(
      name: "CPCRE2",
      pkgConfig: "libpcre2-8",
      providers: [.apt(["libpcre2-dev"])]
    ),
    // Line editing for `etiquette repl` (Debian's libedit-dev), used by the CLI only.
    .systemLibrary(
      name: "CLibEdit",
      pkgConfig: "libedit",
      providers: [.apt(["libedit-dev"])]
    ),
    .target(name: "EtiquetteDiagnostics"),
    .target(name: "EtiquetteSyntax", dependencies: ["EtiquetteDiagnostics"]),
    .target(name: "EtiquetteFormat", dependencies: ["EtiquetteSyntax"]),
    // Text normalisation and the PCRE2 wrapper: knows nothing of the rule language.
    .target(name: "EtiquetteText", dependencies: ["CPCRE2"]),
    .target(
      name: "EtiquetteChecker",
      dependencies: ["EtiquetteDiagnostics", "EtiquetteSyntax", "EtiquetteText"]
    ),
    // The compiled matcher: one automaton for every phrase, prefiltered PCRE2 patterns.
    .target(name: "EtiquetteMatcher", dependencies: ["EtiquetteChecker", "EtiquetteText"]),
    // Conversation state and decisions: a pure, deterministic library.
    .target(name: "EtiquetteEngine", dependencies: ["EtiquetteMatcher", "EtiquetteChecker"]),
    .executableTarget(
      name: "EtiquetteCLI",
      dependencies: [
        "EtiquetteDiagnostics", "EtiquetteSyntax", "EtiquetteFormat", "EtiquetteChecker",
        "EtiquetteMatcher", "EtiquetteEngine", "CLibEdit",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    // Golden-file comparison and marker parsing shared by the test targets; never shipped.
    .target(name: "EtiquetteTestSupport", dependencies: ["EtiquetteDiagnostics"]),
    .testTarget(
      name: "EtiquetteDiagnosticsTests",
      dependencies: ["EtiquetteDiagnostics", "EtiquetteTestSupport"]
    ),
    .testTarget(
      name: "EtiquetteSyntaxTests",
      dependencies: ["EtiquetteSyntax", "EtiquetteTestSupport"],
      exclude: ["Fixtures"]
    ),
    .testTarget(
      name: "EtiquetteFormatTests",
      dependencies: [
        "EtiquetteFormat", "EtiquetteSyntax", "EtiquetteDiagnostics", "EtiquetteTestSupport",
      ],
      exclude: ["Fixtures"]
    ),
    .testTarget(name: "EtiquetteTextTests", dependencies: ["EtiquetteText"]),
    .testTarget(
      name: "EtiquetteCheckerTests",
      dependencies: ["EtiquetteChecker", "EtiquetteTestSupport"],
      exclude: ["Fixtures"]
    ),
    .testTarget(
      name: "EtiquetteMatcherTests",
      dependencies: ["EtiquetteMatcher", "EtiquetteSyntax", "EtiquetteTestSupport"],
      exclude: ["Fixtures"]
    ),
    .testTarget(
      name: "EtiquetteEngineTests",
      dependencies: ["EtiquetteEngine", "EtiquetteSyntax", "EtiquetteTestSupport"],
      exclude: ["Fixtures"]
    ),
    .testTarget(
      name: "EtiquetteCLITests",
      dependencies: ["EtiquetteCLI", "EtiquetteTestSupport"],
      exclude: ["Fixtures"]
    ),
  ]
)
