import ArgumentParser
import EtiquetteServer
import Foundation

/// The `etiquette` command: check, format and explain rule files.
struct Etiquette: ParsableCommand {
  static let version = "0.1.0"

  static let configuration = CommandConfiguration(
    commandName: "etiquette",
    abstract: "Check, format and run the rules of a WhatsApp team inbox.",
    discussion: """
      Rule files (*.etq) declare label triggers, team access and AI/human routing. \
      A PATH is a file or a directory, read recursively for *.etq files; all files given \
      form one rule set.

      Exit status: 0 clean, 1 errors (or warnings under --strict), 2 usage errors.
      """,
    version: version,
    subcommands: [
      CheckCommand.self, FormatCommand.self, ExplainCommand.self, TestCommand.self, RunCommand.self,
      DiffCommand.self, ReplCommand.self, ServeCommand.self, MemberCommand.self, LspCommand.self,
    ]
  )
}

/// Exit codes, one enum for every subcommand.
enum ExitStatus: Int32 {
  /// Nothing wrong.
  case clean = 0
  /// The rules have errors (or warnings under `--strict`), or files need formatting.
  case failure = 1
  /// The command line or the paths given are wrong.
  case usage = 2

  var exitCode: ExitCode { ExitCode(rawValue) }
}

/// A usage problem found after argument parsing (a missing path): exit status 2.
struct UsageError: Error, CustomStringConvertible {
  let description: String
}

extension ServerConfiguration {
  /// The defaults, with the JSON file `--config` names applied when one is given; a file that
  /// cannot be read or has a wrong key is a usage error.
  static func load(file path: String?) throws -> ServerConfiguration {
    var configuration = ServerConfiguration()
    guard let path else { return configuration }
    do {
      try configuration.apply(file: path)
    } catch {
      throw UsageError(description: error.description)
    }
    return configuration
  }
}

@main
enum Main {
  static func main() async {
    do {
      var command = try Etiquette.parseAsRoot()
      // `serve` and `lsp` run on Swift concurrency; the language commands are synchronous.
      if var command = command as? any AsyncParsableCommand {
        try await command.run()
      } else {
        try command.run()
      }
    } catch let usage as UsageError {
      Terminal.standardError.write("error: \(usage.description)\n")
      exit(ExitStatus.usage.rawValue)
    } catch let code as ExitCode {
      exit(code.rawValue)
    } catch {
      // ArgumentParser errors: help and version exit 0; anything else is a usage error (2,
      // not ArgumentParser's 64, so every subcommand shares one set of exit codes).
      let code = Etiquette.exitCode(for: error)
      if code == .success {
        print(Etiquette.fullMessage(for: error))
        exit(0)
      }
      Terminal.standardError.write(Etiquette.fullMessage(for: error) + "\n")
      exit(ExitStatus.usage.rawValue)
    }
  }
}
