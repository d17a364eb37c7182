import Foundation

/// Runs a Python 3 script given inline (tests that check output against a published JSON
/// schema use Python's `jsonschema`, an implementation independent of ours).
public enum PythonScript {
  /// The script's exit status and its standard output and error, together.
  public static func run(_ script: String, arguments: [String]) throws -> (
    status: Int32, output: String
  ) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    process.arguments = ["python3", "-c", script] + arguments
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output)
  }
}
