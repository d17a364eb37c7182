// Placeholder until the target's first test lands; delete when adding one.
