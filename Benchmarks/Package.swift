// swift-tools-version: 6.1
// The benchmarks: a separate package so the main package never needs Hyperscan.
// Run from the repository root with:
//   swift run -c release --package-path Benchmarks etiquette-bench        (matcher, issue 5)
//   swift run -c release --package-path Benchmarks etiquette-check-bench  (checker, issue 4)
//   swift run -c release --package-path Benchmarks etiquette-lsp-bench    (language server, issue 18)
//   swift run -c release --package-path Benchmarks etiquette-impact-bench (impact replay, issue 17)
import PackageDescription

let package = Package(
  name: "EtiquetteBenchmarks",
  platforms: [.macOS(.v14)],
  dependencies: [
    .package(name: "Etiquette", path: "..")
  ],
  targets: [
    // Hyperscan from Debian's libhyperscan-dev.
    .systemLibrary(
      name: "CHyperscan",
      pkgConfig: "libhs",
      providers: [.apt(["libhyperscan-dev"])]
    ),
    // The seeded generator and phrase words of the benchmarks that generate rule sets.
    .target(name: "BenchmarkWorkspace"),
    .executableTarget(
      name: "etiquette-bench",
      dependencies: [
        "CHyperscan",
        .product(name: "EtiquetteMatcher", package: "Etiquette"),
        .product(name: "EtiquetteEngine", package: "Etiquette"),
        .product(name: "EtiquetteChecker", package: "Etiquette"),
        .product(name: "EtiquetteSyntax", package: "Etiquette"),
      ]
    ),
    // The language server: from a didChange to its publishDiagnostics (issue 18).
    .executableTarget(
      name: "etiquette-lsp-bench",
      dependencies: [
        "BenchmarkWorkspace",
        .product(name: "EtiquetteLanguageServer", package: "Etiquette"),
        .product(name: "EtiquetteDiagnostics", package: "Etiquette"),
        .product(name: "EtiquetteSyntax", package: "Etiquette"),
        .product(name: "EtiquetteChecker", package: "Etiquette"),
        .product(name: "EtiquetteMatcher", package: "Etiquette"),
      ]
    ),
    // The console's impact replay: stored steps per second through both rule sets (issue 17).
    .executableTarget(
      name: "etiquette-impact-bench",
      dependencies: [
        .product(name: "EtiquetteReplay", package: "Etiquette"),
        .product(name: "EtiquetteCompiler", package: "Etiquette"),
        .product(name: "EtiquetteEngine", package: "Etiquette"),
        .product(name: "EtiquetteChecker", package: "Etiquette"),
      ]
    ),
    // How long parsing and checking a large rule set takes, against lexing it as the baseline.
    .executableTarget(
      name: "etiquette-check-bench",
      dependencies: [
        "BenchmarkWorkspace",
        .product(name: "EtiquetteDiagnostics", package: "Etiquette"),
        .product(name: "EtiquetteSyntax", package: "Etiquette"),
        .product(name: "EtiquetteChecker", package: "Etiquette"),
      ]
    ),
  ]
)
