import ArgumentParser
import EtiquetteLanguageServer
import Foundation

/// `etiquette lsp`: the language server, speaking LSP over standard input and output.
struct LspCommand: AsyncParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "lsp",
    abstract: "Run the language server (LSP over stdin/stdout) for editors.",
    discussion: """
      Editors start this command and talk to it in the Language Server Protocol 3.17. Every \
      .etq file under each workspace folder is one rule set; unsaved buffers replace their \
      files' text.

      Features: diagnostics as you type, hover, go to definition, references, completion, \
      rename, formatting, quick fixes, symbols, semantic tokens and "run this test" code lenses.
      """
  )

  @Option(name: .long, help: "Milliseconds to wait after an edit before checking again.")
  var debounce = 150

  func run() async throws {
    let code = await LanguageServer.serve(
      input: FileHandle.standardInput, output: FileHandle.standardOutput,
      debounce: .milliseconds(max(0, debounce)))
    if code != 0 { throw ExitCode(code) }
  }
}
