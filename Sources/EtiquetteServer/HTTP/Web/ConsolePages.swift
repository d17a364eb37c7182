import EtiquetteChecker
import EtiquetteDiagnostics
import Foundation

/// The console's pages about the rules: the editor, the history of published versions, a
/// publication refused because the files changed.
extension WebRenderer {
  /// `/app/rules`: the rule files, the editor of one, what was found or decided for the draft.
  func consolePage(
    member: String, csrf: String, files: [String], state: WebInbox.EditorState,
    zones: [String] = []
  ) throws -> String {
    let diagnostics = state.diagnostics
    let lines = (diagnostics?.diagnostics ?? []).map {
      DiagnosticLine(
        code: $0.code, severity: $0.severity, location: "\($0.file):\($0.line):\($0.column)",
        line: $0.line, message: $0.message, help: $0.help)
    }
    let summary = diagnostics.map {
      text.consoleSummary.replacingOccurrences(of: "{errors}", with: "\($0.summary.errors)")
        .replacingOccurrences(of: "{warnings}", with: "\($0.summary.warnings)")
    }
    return render(
      "rules",
      ConsolePage(
        head: head(text.rulesTitle), t: text, csrf: csrf, member: member,
        files: files.map {
          ViewLink(
            name: $0, href: "/app/rules?file=" + Self.queryEscaped($0), current: $0 == state.file,
            count: nil)
        }, file: state.file, text: state.text, checked: diagnostics != nil, diagnostics: lines,
        summary: summary, editor: assets.paths["console.js"] ?? "",
        codemirror: ["codemirror.js", "codemirror-simple.js", "codemirror-lint.js"].compactMap {
          assets.paths[$0]
        },
        styles: ["codemirror.css", "codemirror-lint.css"].compactMap { assets.paths[$0] },
        message: state.message, trial: state.trial.flatMap(trialView), base: state.base,
        publishMessage: state.publishMessage, notice: state.notice, problem: state.problem,
        tests: state.tests.map(testsView),
        tryTypes: MessageType.allCases.map {
          Option(value: $0.rawValue, name: $0.rawValue, selected: $0.rawValue == state.tryType)
        },
        tryZones: zones.map { Option(value: $0, name: $0, selected: $0 == state.tryZone) },
        tryContact: state.tryContact, tryEvent: state.tryEvent, tryFields: state.tryFields,
        tryAt: state.tryAt,
        tryMore: state.tryType != "text" || !state.tryContact.isEmpty || !state.tryEvent.isEmpty
          || !state.tryAt.isEmpty))
  }

  func testsView(_ run: RuleDraftService.TestRun) -> TestsView {
    let summary =
      run.passed + run.failed == 0 && run.diagnostics == nil
      ? text.publishing.noTests
      : text.publishing.testsSummary.replacingOccurrences(of: "{passed}", with: "\(run.passed)")
        .replacingOccurrences(of: "{failed}", with: "\(run.failed)")
    return TestsView(
      summary: summary,
      failures: run.failures.map {
        TestsView.Failure(
          test: $0.test, location: "\($0.file):\($0.line):\($0.column)", line: $0.line,
          message: $0.message)
      })
  }

  // MARK: - History

  struct HistoryPage {
    var head: Head
    var t: WebText
    var nav = ConsoleNav(rules: true)
    var csrf: String
    var member: String
    var base: String
    var versions: [VersionLine]
    var hasVersions: Bool
    var comparison: ComparisonView?
    var notice: String?
    var problem: String?
  }

  struct VersionLine {
    var number: Int64
    var author: String
    var date: String
    var message: String
    var files: Int
    var served: Bool
    var fromChecked: Bool
    var toChecked: Bool
    var rollback: String
  }

  struct ComparisonView {
    var title: String
    var files: [FileDifference]
    var empty: Bool
  }

  struct FileDifference {
    var name: String
    var summary: String
    var hunks: [HunkView]
  }

  struct HunkView {
    var header: String
    var lines: [DiffLine]
  }

  struct DiffLine {
    /// `same`, `added` or `removed`: the CSS class.
    var kind: String
    var sign: String
    var text: String
  }

  /// A date as the history shows it: UTC, to the minute, the same on every machine.
  static func historyDate(_ seconds: Double) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyy-MM-dd HH:mm 'UTC'"
    return formatter.string(from: Date(timeIntervalSince1970: seconds))
  }

  func historyPage(
    member: String, csrf: String, base: String, versions: [RuleVersion], served: String,
    from: Int64?, to: Int64?, comparison: ComparisonView?, notice: String?, problem: String?
  ) -> String {
    render(
      "rules-history",
      HistoryPage(
        head: head(text.publishing.historyTitle), t: text, csrf: csrf, member: member,
        base: base,
        versions: versions.map { version in
          VersionLine(
            number: version.number,
            author: version.author == RuleVersion.foundOnDisk
              ? text.publishing.foundOnDisk : version.author,
            date: Self.historyDate(version.at), message: version.message,
            files: version.files.count, served: version.digest == served,
            fromChecked: version.number == from, toChecked: version.number == to,
            rollback: "/app/rules/history/\(version.number)/rollback")
        }, hasVersions: !versions.isEmpty, comparison: comparison, notice: notice,
        problem: problem))
  }

  /// The differences between two sets of rule files, file by file.
  func comparison(title: String, old: [PublishedFile], new: [PublishedFile]) -> ComparisonView {
    let before = Dictionary(old.map { ($0.name, $0.text) }, uniquingKeysWith: { first, _ in first })
    let after = Dictionary(new.map { ($0.name, $0.text) }, uniquingKeysWith: { first, _ in first })
    let files = Set(before.keys).union(after.keys).sorted().compactMap { name -> FileDifference? in
      let difference = TextDifference(old: before[name] ?? "", new: after[name] ?? "")
      guard !difference.isEmpty else { return nil }
      return FileDifference(
        name: name, summary: "+\(difference.added) −\(difference.removed)",
        hunks: difference.hunks.map { hunk in
          HunkView(
            header: hunk.header,
            lines: hunk.lines.map { line in
              DiffLine(kind: Self.diffClass(line.kind), sign: line.kind.rawValue, text: line.text)
            })
        })
    }
    return ComparisonView(title: title, files: files, empty: files.isEmpty)
  }

  static func diffClass(_ kind: TextDifference.Line.Kind) -> String {
    switch kind {
    case .same: "same"
    case .added: "added"
    case .removed: "removed"
    }
  }

  // MARK: - A publication refused: the files changed

  struct ChangedOnDiskPage {
    var head: Head
    var t: WebText
    var nav = ConsoleNav(rules: true)
    var csrf: String
    var member: String
    var file: String
    var text: String
    var base: String
    var publishMessage: String
    var openCurrent: String
    var comparison: ComparisonView
  }

  func changedOnDiskPage(
    member: String, csrf: String, state: WebInbox.EditorState, current: [PublishedFile],
    digest: String
  ) -> String {
    let draft = current.map {
      $0.name == state.file ? PublishedFile(name: $0.name, text: state.text) : $0
    }
    return render(
      "rules-changed",
      ChangedOnDiskPage(
        head: head(text.publishing.changedOnDiskTitle), t: text, csrf: csrf, member: member,
        file: state.file, text: state.text, base: digest, publishMessage: state.publishMessage,
        openCurrent: "/app/rules?file=" + Self.queryEscaped(state.file),
        comparison: comparison(
          title: text.publishing.differenceWithDisk, old: current, new: draft)))
  }
}
