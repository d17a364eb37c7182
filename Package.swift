// swift-tools-version: 6.1
// The pipeline is one module per stage, each depending only on the stages before it:
// diagnostics → syntax → format / checker → matcher → engine → server, with the CLI on top.
import PackageDescription

// Each step of a phrase-trie walk counts the bits of a 64-bit mask (`PhraseTrie.ChildLookup`).
// The x86-64 baseline has no instruction for that, and the portable sequence (17
// instructions a step) loses most of what the mask gains: at 50,000 phrases 0.58 million
// messages/s against 0.64 with POPCNT (Benchmarks/README.md). Every x86-64 processor since
// 2008 has POPCNT; arm64 counts bits in one instruction anyway. The manifest runs on the
// machine that builds, so this follows its architecture (a cross-compilation from x86-64 to
// another architecture must drop it). SwiftPM ignores these flags when the package is a
// dependency: `make bench` passes them to the benchmark package on the command line.
#if arch(x86_64)
  let matcherSettings: [SwiftSetting] = [.unsafeFlags(["-Xcc", "-mpopcnt"])]
#else
  let matcherSettings: [SwiftSetting] = []
#endif

let package = Package(
  name: "Etiquette",
  platforms: [.macOS(.v14)],
  products: [
    .executable(name: "etiquette", targets: ["EtiquetteCLI"]),
    .library(name: "EtiquetteDiagnostics", targets: ["EtiquetteDiagnostics"]),
    .library(name: "EtiquetteSyntax", targets: ["EtiquetteSyntax"]),
    .library(name: "EtiquetteChecker", targets: ["EtiquetteChecker"]),
    .library(name: "EtiquetteMatcher", targets: ["EtiquetteMatcher"]),
    // For the benchmark's engine rows (Benchmarks/, issue 20).
    .library(name: "EtiquetteEngine", targets: ["EtiquetteEngine"]),
    .library(name: "EtiquetteLanguageServer", targets: ["EtiquetteLanguageServer"]),
    // For the benchmark of the console's impact replay (issue 17).
    .library(name: "EtiquetteReplay", targets: ["EtiquetteReplay"]),
    .library(name: "EtiquetteCompiler", targets: ["EtiquetteCompiler"]),
  ],
  dependencies: [
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    // The server only (issue 8): HTTP, the SQLite store, HMAC-SHA256 for webhook signatures.
    .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
    .package(url: "https://github.com/hummingbird-project/hummingbird-auth", from: "2.5.0"),
    .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
    .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
    .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
    // Outbound HTTP for the integrations (issue 9): webhooks, the Graph API, the AI endpoint.
    .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
    .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.6.0"),
    .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    // `/metrics` (issue 14): the Prometheus exposition format and Hummingbird's request
    // metrics through swift-metrics.
    .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    // The web inbox (issue 16): server-rendered HTML templates.
    .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.1"),
    // The PostgreSQL store (issue 15): several instances on one database.
    .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.2"),
  ],
  targets: [
    // PCRE2 from Debian's libpcre2-dev; the shim header fixes the code unit width to 8 bits.
    .systemLibrary(
      name: "CPCRE2",
      pkgConfig: "libpcre2-8",
      providers: [.apt(["libpcre2-dev"])]
    ),
    // Snowball stemming from Debian's libstemmer-dev, for `forms` (issue 19). No pkg-config
    // file ships with it: the module map links `stemmer`.
    .systemLibrary(
      name: "CStemmer",
      providers: [.apt(["libstemmer-dev"])]
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
    .target(name: "EtiquetteText", dependencies: ["CPCRE2", "CStemmer"]),
    .target(
      name: "EtiquetteChecker",
      dependencies: ["EtiquetteDiagnostics", "EtiquetteSyntax", "EtiquetteText"]
    ),
    // The compiled matcher: one automaton for every phrase, prefiltered PCRE2 patterns.
    .target(
      name: "EtiquetteMatcher",
      dependencies: [
        "EtiquetteChecker", "EtiquetteText", "EtiquetteSyntax", "EtiquetteDiagnostics",
      ],
      swiftSettings: matcherSettings),
    // Conversation state and decisions: a pure, deterministic library.
    .target(
      name: "EtiquetteEngine",
      dependencies: [
        "EtiquetteMatcher", "EtiquetteChecker", "EtiquetteSyntax", "EtiquetteDiagnostics",
      ]),
    // Replaying the same steps through two rule sets and grouping every decision that differs
    // by the rule change that explains it: `etiquette diff` and the console's impact replay.
    .target(
      name: "EtiquetteReplay",
      dependencies: [
        "EtiquetteEngine", "EtiquetteChecker", "EtiquetteMatcher", "EtiquetteSyntax",
        "EtiquetteDiagnostics",
      ]),
    // Reading, checking and compiling a rule set from files: the one entry point the CLI's
    // commands and the server share, so they report the same diagnostics for the same files.
    .target(
      name: "EtiquetteCompiler",
      dependencies: [
        "EtiquetteDiagnostics", "EtiquetteSyntax", "EtiquetteChecker", "EtiquetteMatcher",
      ]
    ),
    // The language server (`etiquette lsp`): JSON-RPC over stdio on the language stages only.
    .target(
      name: "EtiquetteLanguageServer",
      dependencies: [
        "EtiquetteDiagnostics", "EtiquetteSyntax", "EtiquetteChecker", "EtiquetteFormat",
        "EtiquetteEngine", "EtiquetteMatcher", "EtiquetteText",
      ]
    ),
    .executableTarget(
      name: "EtiquetteCLI",
      dependencies: [
        "EtiquetteDiagnostics", "EtiquetteSyntax", "EtiquetteFormat", "EtiquetteChecker",
        "EtiquetteMatcher", "EtiquetteEngine", "EtiquetteCompiler", "CLibEdit", "EtiquetteServer",
        "EtiquetteLanguageServer", "EtiquetteReplay",
        .product(name: "ArgumentParser", package: "swift-argument-parser"),
        // `serve --dev` replays its demo data through the server's own HTTP front doors.
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
      ]
    ),
    // The server: webhook intake, SQLite store, REST API. Its own target so that the language
    // stages never build Hummingbird.
    .target(
      name: "EtiquetteServer",
      dependencies: [
        "EtiquetteEngine", "EtiquetteChecker", "EtiquetteSyntax", "EtiquetteDiagnostics",
        "EtiquetteCompiler", "EtiquetteMatcher", "EtiquetteFormat", "EtiquetteReplay",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdAuth", package: "hummingbird-auth"),
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "Logging", package: "swift-log"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "NIOCore", package: "swift-nio"),
        .product(name: "NIOHTTP1", package: "swift-nio"),
        // The SMTP client that e-mails invitations (issue 17).
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "Prometheus", package: "swift-prometheus"),
        .product(name: "Metrics", package: "swift-metrics"),
        // The web inbox: templates, and PBKDF2 for members' passwords.
        .product(name: "Mustache", package: "swift-mustache"),
        .product(name: "_CryptoExtras", package: "swift-crypto"),
        .product(name: "PostgresNIO", package: "postgres-nio"),
      ],
      // The OpenAPI document, served at /openapi.json; `openapi/` at the root links to it. The
      // web inbox's templates and static assets (issue 16).
      resources: [
        .copy("Resources/etiquette.openapi.json"),
        .copy("Resources/Web"),
      ]
    ),
    // Golden-file comparison and marker parsing shared by the test targets; never shipped.
    .target(
      name: "EtiquetteTestSupport", dependencies: ["EtiquetteDiagnostics", "EtiquetteSyntax"]),
    .testTarget(
      name: "EtiquetteDiagnosticsTests",
      dependencies: ["EtiquetteDiagnostics", "EtiquetteTestSupport"]
    ),
    .testTarget(
      name: "EtiquetteSyntaxTests",
      dependencies: ["EtiquetteSyntax", "EtiquetteDiagnostics", "EtiquetteTestSupport"],
      exclude: ["Fixtures"]
    ),
    .testTarget(
      name: "EtiquetteFormatTests",
      dependencies: [
        "EtiquetteFormat", "EtiquetteSyntax", "EtiquetteDiagnostics", "EtiquetteTestSupport",
      ],
      exclude: ["Fixtures"]
    ),
    .testTarget(
      name: "EtiquetteTextTests", dependencies: ["EtiquetteText", "EtiquetteTestSupport"]),
    .testTarget(
      name: "EtiquetteCheckerTests",
      dependencies: [
        "EtiquetteChecker", "EtiquetteSyntax", "EtiquetteDiagnostics", "EtiquetteTestSupport",
      ],
      exclude: ["Fixtures"]
    ),
    .testTarget(
      name: "EtiquetteMatcherTests",
      dependencies: [
        "EtiquetteMatcher", "EtiquetteSyntax", "EtiquetteChecker", "EtiquetteDiagnostics",
        "EtiquetteText", "EtiquetteTestSupport",
      ],
      exclude: ["Fixtures"]
    ),
    .testTarget(
      name: "EtiquetteEngineTests",
      dependencies: [
        "EtiquetteEngine", "EtiquetteSyntax", "EtiquetteChecker", "EtiquetteDiagnostics",
        "EtiquetteTestSupport",
      ],
      exclude: ["Fixtures"]
    ),
    .testTarget(
      name: "EtiquetteServerTests",
      dependencies: [
        "EtiquetteServer", "EtiquetteEngine", "EtiquetteChecker", "EtiquetteSyntax",
        "EtiquetteDiagnostics", "EtiquetteCompiler", "EtiquetteTestSupport", "EtiquetteReplay",
        .product(name: "Hummingbird", package: "hummingbird"),
        .product(name: "HummingbirdTesting", package: "hummingbird"),
        .product(name: "GRDB", package: "GRDB.swift"),
        .product(name: "Crypto", package: "swift-crypto"),
        .product(name: "NIOCore", package: "swift-nio"),
        // The loopback SMTP server of the invitation e-mail tests.
        .product(name: "NIOPosix", package: "swift-nio"),
        .product(name: "HTTPTypes", package: "swift-http-types"),
        .product(name: "AsyncHTTPClient", package: "async-http-client"),
        .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
        .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
        .product(name: "Logging", package: "swift-log"),
      ],
      exclude: ["Fixtures"]
    ),
    .testTarget(
      name: "EtiquetteLanguageServerTests",
      dependencies: [
        "EtiquetteLanguageServer", "EtiquetteDiagnostics", "EtiquetteSyntax", "EtiquetteChecker",
        "EtiquetteMatcher", "EtiquetteEngine", "EtiquetteTestSupport",
      ],
      exclude: ["Fixtures"]
    ),
    .testTarget(
      name: "EtiquetteCLITests",
      dependencies: [
        "EtiquetteCLI", "EtiquetteServer", "EtiquetteDiagnostics", "EtiquetteTestSupport",
      ],
      exclude: ["Fixtures"]
    ),
  ]
)

// `make test` builds with ETIQUETTE_STRICT_WARNINGS=1: a warning in the project's own code is an
// error there (dependencies keep their warnings; SwiftPM does not pass these flags to them).
if Context.environment["ETIQUETTE_STRICT_WARNINGS"] == "1" {
  for target in package.targets where target.type != .system {
    target.swiftSettings = (target.swiftSettings ?? []) + [.unsafeFlags(["-warnings-as-errors"])]
  }
}
