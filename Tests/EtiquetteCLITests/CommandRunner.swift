import EtiquetteTestSupport
import Foundation

/// Runs the built `etiquette` binary as a user would, capturing output and exit status.
struct CommandRunner {
  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  static let repositoryRoot = GoldenFile.repositoryRoot(from: #filePath)

  /// The binary sits beside the test bundle in SwiftPM's build folder.
  static let executable: String = {
    let bundleDirectory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    var candidates = [bundleDirectory.appendingPathComponent("etiquette").path]
    // `swift test` may run the bundle from inside EtiquettePackageTests.xctest/Contents/MacOS.
    var url = bundleDirectory
    for _ in 0..<4 {
      url = url.deletingLastPathComponent()
      candidates.append(url.appendingPathComponent("etiquette").path)
    }
    candidates.append(repositoryRoot + "/.build/debug/etiquette")
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0) } ?? candidates[0]
  }()

  /// Runs the binary in `directory` (the repository root by default), with `input` as its
  /// standard input (empty when nil, so a command that reads stdin never waits on the runner's).
  static func run(
    _ arguments: [String], environment: [String: String] = [:], in directory: String? = nil,
    input: String? = nil
  ) throws -> Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.currentDirectoryURL = URL(fileURLWithPath: directory ?? repositoryRoot)
    var env = ProcessInfo.processInfo.environment
    env.removeValue(forKey: "NO_COLOR")
    for (key, value) in environment { env[key] = value }
    process.environment = env
    let stdin = Pipe()
    let out = Pipe()
    let err = Pipe()
    process.standardInput = stdin
    process.standardOutput = out
    process.standardError = err
    try process.run()
    // Input is written from another thread while output is read here: a large input and a
    // large output would otherwise fill both pipes and block child and test alike.
    let writer = stdin.fileHandleForWriting
    let data = Data((input ?? "").utf8)
    DispatchQueue.global().async {
      writer.write(data)
      try? writer.close()
    }
    let outData = out.fileHandleForReading.readDataToEndOfFile()
    let errData = err.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Result(
      status: process.terminationStatus,
      stdout: String(decoding: outData, as: UTF8.self),
      stderr: String(decoding: errData, as: UTF8.self))
  }

  /// A fresh temporary folder for files a test writes.
  static func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "etiquette-cli-" + UUID().uuidString
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }
}
