import Foundation
import Testing

/// `etiquette member add|list|revoke` on a real database file.
@Suite struct MemberCommandTests {
  @Test func tokensAreCreatedListedAndRevoked() throws {
    let directory = try CommandRunner.temporaryDirectory()
    let db = directory + "/inbox.db"
    let rules = CommandRunner.repositoryRoot + "/rules/"
    let added = try CommandRunner.run(
      ["member", "add", "bruno@exemple.fr", "--rules", rules, "--db", db])
    #expect(added.status == 0, "\(added.stderr)")
    let token = added.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    #expect(token.count >= 32, "a long random token is printed once")
    #expect(added.stderr.contains("shown only this once"))

    let stranger = try CommandRunner.run(
      ["member", "add", "inconnu@exemple.fr", "--rules", rules, "--db", db])
    #expect(stranger.status == 2)
    #expect(stranger.stderr.contains("\"inconnu@exemple.fr\" is in no team of"))
    #expect(stranger.stderr.contains("--ai-agent"))

    let list = try CommandRunner.run(["member", "list", "--db", db])
    #expect(list.stdout == "bruno@exemple.fr\tactive\n")
    let revoked = try CommandRunner.run(["member", "revoke", "bruno@exemple.fr", "--db", db])
    #expect(revoked.stdout == "revoked bruno@exemple.fr\n")
    #expect(try CommandRunner.run(["member", "list", "--db", db]).stdout.contains("revoked"))
    #expect(
      try CommandRunner.run(["member", "revoke", "bruno@exemple.fr", "--db", db]).status == 2)
  }

  /// An external AI agent answers through the API with a token of its own; it belongs to no
  /// team, so the server configuration's `ai_agents` vouches for it instead.
  @Test func aiAgentTokensNeedTheConfiguration() throws {
    let directory = try CommandRunner.temporaryDirectory()
    let db = directory + "/inbox.db"
    let config = directory + "/etiquette.json"
    try #"{"ai_agents": ["agent@ia.exemple.fr"]}"#.write(
      toFile: config, atomically: true, encoding: .utf8)
    let added = try CommandRunner.run(
      ["member", "add", "agent@ia.exemple.fr", "--ai-agent", "--config", config, "--db", db])
    #expect(added.status == 0, "\(added.stderr)")
    #expect(!added.stdout.isEmpty)
    let unlisted = try CommandRunner.run(
      ["member", "add", "autre@ia.exemple.fr", "--ai-agent", "--config", config, "--db", db])
    #expect(unlisted.status == 2)
    #expect(unlisted.stderr.contains("is not listed in ai_agents of \(config)"))
  }
}
