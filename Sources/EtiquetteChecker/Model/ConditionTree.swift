import EtiquetteDiagnostics
import EtiquetteSyntax

/// A condition over resolved references: labels, hours and events by id, fields with their types,
/// phrases normalised, patterns validated. Parentheses are gone; equality ignores spans, so two
/// conditions written differently but meaning the same atoms compare equal.
public indirect enum ConditionTree: Sendable, Hashable {
  case and(ConditionTree, ConditionTree)
  case or(ConditionTree, ConditionTree)
  case not(ConditionTree)
  case atom(ConditionAtom)

  /// Every atom, left to right.
  public var atoms: [ConditionAtom] {
    var out: [ConditionAtom] = []
    collectAtoms(into: &out)
    return out
  }

  private func collectAtoms(into out: inout [ConditionAtom]) {
    // Iterative on the right spine so long `or` chains do not recurse deeply.
    var node = self
    while true {
      switch node {
      case .and(let l, let r), .or(let l, let r):
        l.collectAtoms(into: &out)
        node = r
      case .not(let c): node = c
      case .atom(let a):
        out.append(a)
        return
      }
    }
  }

  /// Labels referred to with `label "X"`, in order of appearance (may repeat).
  public var referencedLabels: [LabelID] {
    atoms.compactMap { if case .label(let id) = $0.kind { id } else { nil } }
  }
}

/// A leaf of a condition, with the span of its source text.
public struct ConditionAtom: Sendable, Hashable {
  public enum Kind: Sendable, Hashable {
    /// `message contains "…"` / `contains any [...]` / `contains all [...]`.
    case contains(PhraseQuantifier, [Phrase])
    /// `message matches /…/flags`.
    case matches(Pattern)
    /// `SUBJECT.FIELD OP VALUE`, type-checked: the value fits the field's type and the operator.
    case comparison(FieldReference, ComparisonOperator, TypedValue)
    /// The step is this integration event.
    case event(EventID)
    /// The conversation has this label (as evaluated earlier in `labelEvaluationOrder`).
    case label(LabelID)
    /// The conversation is in this mode.
    case mode(Mode)
    /// The step's time, in the hours' zone, is within the hours.
    case during(HoursID)
  }
  public var kind: Kind
  @IgnoredInEquality public var span: SourceSpan
  public init(_ kind: Kind, span: SourceSpan) {
    self.kind = kind
    self.span = span
  }

  /// Whether the atom is about the current step's message or event (false on other steps)
  /// rather than about the conversation's state.
  public var isStepAtom: Bool {
    switch kind {
    case .contains, .matches, .event: true
    case .comparison(let field, _, _):
      switch field {
      case .message, .event: true
      case .contact: false
      }
    case .label, .mode, .during: false
    }
  }
}

/// A phrase of `message contains`: the text as written and its normalised form, which is what the
/// matcher looks for in the normalised message.
public struct Phrase: Sendable, Hashable {
  /// The decoded string literal, as the admin wrote it.
  @IgnoredInEquality public var text: String
  /// `Normalizer.normalize(text).string`; never empty.
  public var normalized: String
  @IgnoredInEquality public var span: SourceSpan
  /// `forms` / `typos` of the `contains` it was written in: how loosely it matches.
  public var modes: PhraseModes
  public init(text: String, normalized: String, span: SourceSpan, modes: PhraseModes = []) {
    self.text = text
    self.normalized = normalized
    self.span = span
    self.modes = modes
  }
}

/// A regex flag after the closing slash.
public enum RegexFlag: Character, Sendable, Hashable, CaseIterable, Comparable {
  /// Case-insensitive.
  case i = "i"
  /// `^` and `$` match at line breaks.
  case m = "m"
  /// `.` matches line breaks.
  case s = "s"
  /// Extended: white space and `#` comments in the pattern are ignored.
  case x = "x"
  /// Unicode (always on; accepted for readability).
  case u = "u"

  public static func < (lhs: RegexFlag, rhs: RegexFlag) -> Bool {
    lhs.rawValue < rhs.rawValue
  }
}

/// A `message matches` regex that PCRE2 compiled at check time (UTF + UCP).
public struct Pattern: Sendable, Hashable {
  /// The source text between the slashes, unchanged.
  public var source: String
  /// The flags as written, as they are given to `CompiledRegex.options(fromFlags:)`.
  public var flagText: String
  /// The valid flags, sorted, without duplicates.
  public var flags: [RegexFlag]
  @IgnoredInEquality public var span: SourceSpan
  @IgnoredInEquality public var patternSpan: SourceSpan
  public init(
    source: String, flagText: String, flags: [RegexFlag], span: SourceSpan,
    patternSpan: SourceSpan
  ) {
    self.source = source
    self.flagText = flagText
    self.flags = flags
    self.span = span
    self.patternSpan = patternSpan
  }
}

/// The kinds of WhatsApp message, the values of `message.type`.
public enum MessageType: String, Sendable, Hashable, CaseIterable {
  case text, image, video, document, audio, voice, sticker, location, contacts, interactive
  case button, reaction, order, unsupported
}

/// The fields of `message.FIELD`.
public enum MessageField: String, Sendable, Hashable, CaseIterable {
  /// The message kind, a `MessageType`.
  case type
  /// The text of a text message (empty for media).
  case text
  /// The caption of a media message.
  case caption
  /// The file name of a document.
  case filename

  public var valueType: FieldType {
    switch self {
    case .type: .messageType
    case .text, .caption, .filename: .attribute(.string)
    }
  }
}

/// The type of a field reference.
public enum FieldType: Sendable, Hashable, CustomStringConvertible {
  case attribute(AttributeType)
  /// `message.type`.
  case messageType

  public var description: String {
    switch self {
    case .attribute(let t): t.description
    case .messageType: "message type"
    }
  }
}

/// A resolved `SUBJECT.FIELD`.
public enum FieldReference: Sendable, Hashable, CustomStringConvertible {
  case message(MessageField)
  /// A declared contact attribute.
  case contact(name: String, type: AttributeType)
  /// A field of the step's event; `events` lists the declared events that have it (those the
  /// condition names with `event "…"` when it does), all with this type.
  case event(name: String, type: AttributeType, events: [EventID])

  public var type: FieldType {
    switch self {
    case .message(let f): f.valueType
    case .contact(_, let t), .event(_, let t, _): .attribute(t)
    }
  }

  public var description: String {
    switch self {
    case .message(let f): "message.\(f.rawValue)"
    case .contact(let name, _): "contact.\(name)"
    case .event(let name, _, _): "event.\(name)"
    }
  }
}

/// A literal checked against the type it is compared with.
public indirect enum TypedValue: Sendable, Hashable, CustomStringConvertible {
  case string(String)
  case number(Double)
  case bool(Bool)
  case messageType(MessageType)
  /// The operand of `in`.
  case list([TypedValue])

  public var description: String {
    switch self {
    case .string(let s): "\"\(s)\""
    case .number(let n): n == n.rounded() && abs(n) < 1e15 ? String(Int(n)) : String(n)
    case .bool(let b): String(b)
    case .messageType(let t): t.rawValue
    case .list(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
    }
  }
}
