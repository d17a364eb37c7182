import Foundation

/// AAC renditions of WhatsApp voice notes, for browsers that cannot play Ogg/Opus (Safari on
/// iPhone before iOS 17). Made by Debian's `ffmpeg` the first time a voice note is asked for in
/// that format, then kept beside the original (`<file>.m4a`) so it is made once.
///
/// Bounded like everything that reads what a customer sent: the input is a file the media
/// worker already checked against `media.max_bytes`, ffmpeg gets a wall-clock limit and runs
/// off the cooperative threads, and a failure only means the browser falls back to the Ogg
/// source (the page offers both).
struct VoiceNoteRendition: Sendable {
  /// Where ffmpeg is; nil when it is not installed (then no rendition is offered).
  let ffmpeg: String?
  /// How long one transcoding may take before it is stopped.
  var timeLimit: TimeInterval = 30

  static let installed = VoiceNoteRendition(
    ffmpeg: ["/usr/bin/ffmpeg", "/usr/local/bin/ffmpeg"].first {
      FileManager.default.isExecutableFile(atPath: $0)
    })

  struct Failure: Error, CustomStringConvertible {
    var description: String
  }

  /// The path of the AAC rendition of `source`, made now if it does not exist yet.
  func rendition(of source: String) async throws -> String {
    guard let ffmpeg else { throw Failure(description: "ffmpeg is not installed") }
    let target = source + ".m4a"
    if FileManager.default.fileExists(atPath: target) { return target }
    // Written under a temporary name and renamed: a rendition cut short is never served.
    let partial = source + ".\(UUID().uuidString).partial.m4a"
    let arguments = [
      "-nostdin", "-hide_banner", "-loglevel", "error", "-y", "-i", source, "-vn", "-c:a", "aac",
      "-b:a", "64k", "-f", "mp4", partial,
    ]
    let limit = timeLimit
    let status: Int32 = try await withCheckedThrowingContinuation { continuation in
      Thread.detachNewThread {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ffmpeg)
        process.arguments = arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        do {
          try process.run()
        } catch {
          continuation.resume(throwing: error)
          return
        }
        // The machine's uptime, not the wall clock: a clock change cannot stretch the limit.
        let deadline = ProcessInfo.processInfo.systemUptime + limit
        while process.isRunning && ProcessInfo.processInfo.systemUptime < deadline {
          usleep(20_000)
        }
        if process.isRunning { process.terminate() }
        process.waitUntilExit()
        continuation.resume(returning: process.terminationStatus)
      }
    }
    guard status == 0 else {
      try? FileManager.default.removeItem(atPath: partial)
      throw Failure(description: "ffmpeg could not make an AAC rendition (status \(status))")
    }
    if FileManager.default.fileExists(atPath: target) {
      try? FileManager.default.removeItem(atPath: partial)
    } else {
      try FileManager.default.moveItem(atPath: partial, toPath: target)
    }
    return target
  }
}
