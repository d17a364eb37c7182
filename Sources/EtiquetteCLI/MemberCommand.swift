import ArgumentParser
import EtiquetteServer
import Foundation

/// `etiquette member add|list|revoke|invite`: the bearer tokens of team members, and their
/// invitations to the web inbox.
struct MemberCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "member",
    abstract:
      "Create, list and revoke the API tokens of team members; invite them to the web inbox.",
    subcommands: [Add.self, List.self, Revoke.self, Invite.self]
  )

  struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "The rules directory: members are the emails of its teams.")
    var rules: String = "rules"

    @Option(
      name: .long,
      help: ArgumentHelp(
        "The SQLite database file, or a postgres://user@host:port/db URL.",
        discussion: "The PostgreSQL password comes from ETIQUETTE_DB_PASSWORD (or the URL)."))
    var db: String = "etiquette.db"

    /// Opens the store (creating or migrating its schema), runs `body` on its members and
    /// closes it. Errors name the database without its password.
    func withMembers<Value: Sendable>(_ body: (any MemberDirectory) async throws -> Value)
      async throws -> Value
    {
      let location: DatabaseLocation
      do {
        location = try DatabaseLocation(db, environment: ProcessInfo.processInfo.environment)
      } catch {
        throw UsageError(description: error.description)
      }
      do {
        return try await location.withMemberDirectory(body)
      } catch let usage as UsageError {
        throw usage
      } catch {
        throw UsageError(description: "cannot use the database \(location): \(error)")
      }
    }

    func memberEmails() throws -> [String] {
      switch RuleLoading.load(path: rules) {
      case .success(let loaded): return loaded.ruleSet.members.map(\.email)
      case .failure(let failure):
        Terminal.standardError.write("error: \(rules): \(failure.message)\n")
        throw ExitStatus.failure.exitCode
      }
    }
  }

  struct Add: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Create a token for a member (printed once; only its hash is stored).")
    @OptionGroup var options: StoreOptions
    @Argument(help: "The member's email, as the rules' teams name it.") var email: String
    @Flag(
      name: .long,
      help: """
        The token is for an external AI agent: the email must then be listed in the server \
        configuration's ai_agents instead of a team (see --config).
        """)
    var aiAgent = false
    @Option(name: .long, help: "The server's JSON configuration (for --ai-agent).")
    var config: String?

    func run() async throws {
      if aiAgent {
        let configuration = try ServerConfiguration.load(file: config)
        guard configuration.aiAgents.contains(email) else {
          throw UsageError(
            description: "\"\(email)\" is not listed in ai_agents of "
              + (config ?? "the configuration (give it with --config)"))
        }
      } else {
        let members = try options.memberEmails()
        guard members.contains(email) else {
          throw UsageError(
            description: "\"\(email)\" is in no team of \(options.rules) "
              + "(members: \(members.joined(separator: ", "))); an AI agent's token needs "
              + "--ai-agent")
        }
      }
      let token = try await options.withMembers { try await $0.addMember(email) }
      Terminal.standardOutput.write(token + "\n")
      Terminal.standardError.write(
        "token created for \(email); it is shown only this once\n")
    }
  }

  struct List: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List members with tokens.")
    @OptionGroup var options: StoreOptions

    func run() async throws {
      for member in try await options.withMembers({ try await $0.members() }) {
        let state = member.revokedAt == nil ? "active" : "revoked"
        Terminal.standardOutput.write("\(member.email)\t\(state)\n")
      }
    }
  }

  struct Revoke: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Revoke a member's token.")
    @OptionGroup var options: StoreOptions
    @Argument(help: "The member's email.") var email: String

    func run() async throws {
      guard try await options.withMembers({ try await $0.revokeMember(email) }) else {
        throw UsageError(description: "\"\(email)\" has no active token")
      }
      Terminal.standardOutput.write("revoked \(email)\n")
    }
  }

  struct Invite: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
      abstract: "Print a one-time invitation URL to the web inbox (valid 7 days).",
      discussion: """
        The member opens it, chooses a password (at least 12 characters) and is signed in. \
        Only the URL is printed on standard output; only a hash of its token is stored.
        """)
    @OptionGroup var options: StoreOptions
    @Argument(help: "The member's email, as the rules' teams name it.") var email: String
    @Option(name: .long, help: "The server's JSON configuration: its public_url starts the URL.")
    var config: String?
    @Option(name: .long, help: "The address members reach the server at (overrides public_url).")
    var publicURL: String?

    func run() async throws {
      let members = try options.memberEmails()
      guard members.contains(email) else {
        throw UsageError(
          description: "\"\(email)\" is in no team of \(options.rules) "
            + "(members: \(members.joined(separator: ", ")))")
      }
      var configuration = try ServerConfiguration.load(file: config)
      if let publicURL { configuration.publicURL = publicURL }
      let token = try await options.withMembers {
        try await $0.inviteMember(email, validFor: SQLiteStore.invitationLifetime)
      }
      Terminal.standardOutput.write(configuration.baseURL + "/invitation/" + token + "\n")
      Terminal.standardError.write("invitation created for \(email); valid 7 days, once\n")
    }
  }
}
