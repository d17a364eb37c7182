import Foundation

/// What renaming stored labels (`was "Old"`) changes besides the label rows, the same in every
/// store: the names of the triggers a conversation holds.
enum StoredLabelRenames {
  /// The held triggers of a conversation (`held_triggers`, a JSON array) after the renames,
  /// encoded as the stores keep them; nil when nothing changes or the text is not an array.
  ///
  /// Held triggers are named by their label and their clause's text (`TriggerNames`), which
  /// may name the label too (`routing|when label "Old" -> human`): renamed with it, so that a
  /// trigger that held before the rename does not fire again after it.
  static func heldTriggers(_ text: String, renames: [String: String]) -> String? {
    guard let names = try? JSONDecoder().decode([String].self, from: Data(text.utf8)) else {
      return nil
    }
    let prefixes = renames.flatMap { old, new in
      [("when|\(old)|", "when|\(new)|"), ("remove when|\(old)|", "remove when|\(new)|")]
    }
    let references = renames.map { old, new in ("label \"\(old)\"", "label \"\(new)\"") }
    let renamed = names.map { name in
      var name = name
      for (old, new) in prefixes where name.hasPrefix(old) {
        name = new + name.dropFirst(old.count)
      }
      for (old, new) in references where name.contains(old) {
        name = name.replacingOccurrences(of: old, with: new)
      }
      return name
    }
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
    guard renamed != names, let data = try? encoder.encode(renamed.sorted()) else { return nil }
    return String(decoding: data, as: UTF8.self)
  }
}
