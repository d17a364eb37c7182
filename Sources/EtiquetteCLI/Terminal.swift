import ArgumentParser
import EtiquetteDiagnostics
import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// Where output goes, and whether it may be coloured.
struct Terminal {
  let handle: FileHandle
  let fileDescriptor: Int32

  static let standardOutput = Terminal(handle: .standardOutput, fileDescriptor: 1)
  static let standardError = Terminal(handle: .standardError, fileDescriptor: 2)

  func write(_ text: String) {
    handle.write(Data(text.utf8))
  }

  var isInteractive: Bool { isatty(fileDescriptor) == 1 }

  /// Colour on a TTY unless `NO_COLOR` is set (https://no-color.org) or `TERM=dumb`.
  func style(_ choice: ColourChoice) -> TerminalStyle {
    switch choice {
    case .always: return .ansi
    case .never: return .plain
    case .auto:
      let env = ProcessInfo.processInfo.environment
      if env["NO_COLOR"].map({ !$0.isEmpty }) == true || env["TERM"] == "dumb" { return .plain }
      return isInteractive ? .ansi : .plain
    }
  }
}

enum ColourChoice: String, CaseIterable, ExpressibleByArgument {
  case auto, always, never
}
