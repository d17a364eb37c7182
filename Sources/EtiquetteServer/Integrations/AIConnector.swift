import AsyncHTTPClient
import EtiquetteChecker
import EtiquetteEngine
import Foundation
import Logging
import NIOCore

/// The AI agent connector: a decision that says the AI should reply (AI-first) or suggest
/// (human-first) becomes an `ai_requests` row in the step's transaction; a worker calls the
/// configured endpoint and applies the answer.
///
/// A reply goes through the engine as an `aiReply` step, which accepts it only while the
/// conversation is still in `ai` mode, unassigned, at the version the decision was made for:
/// a takeover during the call always wins, and the late reply is discarded (and logged), never
/// sent. Without an endpoint nothing is recorded here (the webhooks emit `ai.requested`).
enum AIConnector {
  /// One call at a time per conversation, oldest request first.
  static func orderingKey(_ conversation: String) -> String { "ai:\(conversation)" }

  /// WhatsApp's limit for a text message.
  static let maxReplyLength = 4096
  /// Answers larger than this are not read (a misbehaving endpoint must not fill memory).
  static let maxAnswerBytes = 256 * 1024

  /// What the endpoint receives.
  struct Call: Encodable {
    /// `reply` or `suggest`.
    var instruction: String
    var version: Int
    var conversation: String
    var payload: IntegrationPayload
  }

  /// Why a call gave no usable text; `permanent` failures are not retried.
  struct Failure: Error, CustomStringConvertible {
    var description: String
    var permanent = false
  }

  /// The reply text of an answer body, or why it is unusable.
  static func text(ofAnswer body: ByteBuffer) -> Result<String, Failure> {
    let data = Data(body.readableBytesView)
    guard
      let json = try? JSONValue.parse(bytes: data),
      case .object(let object) = json
    else {
      let start = String(decoding: data.prefix(60), as: UTF8.self)
      return .failure(Failure(description: "the answer is not a JSON object: \"\(start)\""))
    }
    guard case .string(let text)? = object["text"] else {
      return .failure(Failure(description: "the answer has no \"text\" string"))
    }
    guard !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty else {
      return .failure(Failure(description: "the answer's \"text\" is empty"))
    }
    guard text.count <= maxReplyLength else {
      return .failure(
        Failure(
          description:
            "the answer's \"text\" has \(text.count) characters (WhatsApp allows \(maxReplyLength))"
        ))
    }
    return .success(text)
  }

  /// Why the engine refused an AI reply, as a sentence for the log and the request row.
  static func discardReason(_ outcome: AIReplyOutcome?) -> String {
    switch outcome {
    case .discarded(let madeFor, let current, let mode, let assignee)?:
      "made for version \(madeFor), but the conversation is at version \(current) (mode "
        + "\(mode.rawValue)\(assignee.map { ", assigned to \($0)" } ?? ""))"
    case .accepted?, nil:
      "not an AI reply"
    }
  }
}

/// One claimed `ai_requests` row.
struct AIRequest: Sendable {
  var id: Int64
  var conversation: String
  var kind: String
  var version: Int
  var attempts: Int
}

extension AIConnector.Failure {
  init(_ description: String, permanent: Bool = false) {
    self.description = description
    self.permanent = permanent
  }
}

/// A draft reply stored for the humans of a human-first conversation.
struct AISuggestion: Codable, Sendable, Hashable {
  var id: Int64
  var text: String
  /// The conversation version the suggestion was requested at.
  var version: Int
  var createdAt: String
}

struct AISuggestionEvent: Encodable {
  var conversation: String
  var suggestion: AISuggestion
}
