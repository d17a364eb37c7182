import EtiquetteDiagnostics
import EtiquetteSyntax
import Foundation

/// A `test` block with its steps and expectations resolved, in the order written.
public struct RuleTest: Sendable, Hashable {
  public var name: String
  public var entries: [RuleTestEntry]
  @IgnoredInEquality public var nameSpan: SourceSpan
  @IgnoredInEquality public var span: SourceSpan
  public init(name: String, entries: [RuleTestEntry], nameSpan: SourceSpan, span: SourceSpan) {
    self.name = name
    self.entries = entries
    self.nameSpan = nameSpan
    self.span = span
  }
}

public enum RuleTestEntry: Sendable, Hashable {
  case step(RuleTestStep)
  case expectation(RuleTestExpectation)
}

/// One scripted step of a test.
public struct RuleTestStep: Sendable, Hashable {
  public enum Kind: Sendable, Hashable {
    /// Sets contact attributes (declared ones, typed) for the following steps.
    case contact([String: TypedValue])
    /// The time of the following steps.
    case at(Date, text: String)
    /// A text message.
    case customerSays(String)
    /// A message of another type, with an optional caption.
    case customerSends(MessageType, caption: String?)
    /// An integration event with its (declared, typed) fields.
    case event(EventID, fields: [String: TypedValue])
    /// An agent's action; the member is a known member's email.
    case agent(member: String, action: RuleTestAgentAction)
  }
  public var kind: Kind
  @IgnoredInEquality public var span: SourceSpan
  public init(_ kind: Kind, span: SourceSpan) {
    self.kind = kind
    self.span = span
  }
}

public enum RuleTestAgentAction: Sendable, Hashable {
  case takesOver
  case transfersToAI
  case keepsHumanAndLeaves
  case addsLabel(LabelID)
  case removesLabel(LabelID)
  case replies(String)
  case notes(String)
}

/// One `expect` line; it is checked against the state after the steps before it.
public struct RuleTestExpectation: Sendable, Hashable {
  public enum Kind: Sendable, Hashable {
    /// Exactly these labels (sorted, unique).
    case labels([LabelID])
    case label(LabelID)
    case noLabel(LabelID)
    /// The routing outcome of the last step: a mode (with optional team and priority) or nil for
    /// `unchanged`.
    case route(mode: Mode?, team: TeamID?, priority: Priority?)
    case mode(Mode)
    /// This member was notified at the last step.
    case notify(member: String)
    /// `expect "m" can|cannot LEVEL`, on the conversation as it is.
    case access(member: String, allowed: Bool, level: AccessLevel)
  }
  public var kind: Kind
  @IgnoredInEquality public var span: SourceSpan
  public init(_ kind: Kind, span: SourceSpan) {
    self.kind = kind
    self.span = span
  }
}
