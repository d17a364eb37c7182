import Foundation

/// A rule file as published: its name relative to the rules directory and its text.
struct PublishedFile: Sendable, Hashable, Codable {
  var name: String
  var text: String
}

/// One published version of the rules (issue 17): who published it, when, why, and every rule
/// file as it was, so any two versions compare and any version comes back in one click.
struct RuleVersion: Sendable, Hashable {
  /// 1, 2, 3…: the order of publication.
  var number: Int64
  /// The member who published it; `RuleVersion.foundOnDisk` for files the console found as
  /// they were (before its first publication, or edited outside it).
  var author: String
  /// Unix seconds, from the server's clock.
  var at: Double
  var message: String
  /// The served version these files load as (`LoadedRules.version`): what decisions record.
  var digest: String
  var files: [PublishedFile]

  /// The author of versions recorded from the files as the console found them.
  static let foundOnDisk = "disque"
}

/// The published versions of the rules, kept in the database so every instance reads one
/// history (issue 15 moves the rule set itself there too).
protocol RuleVersionStore: Sendable {
  /// Records a version and returns its number.
  func recordRuleVersion(
    author: String, at: Double, message: String, digest: String, files: [PublishedFile]
  ) async throws -> Int64
  /// The newest versions first, `limit` at most (their files included: a version is a few
  /// rule files, kilobytes).
  func ruleVersions(limit: Int) async throws -> [RuleVersion]
  func ruleVersion(number: Int64) async throws -> RuleVersion?
}
