/// One page of a list read `limit + 1` rows deep (the managers' lists): the rows to show, and
/// the key of the last one as the next page's cursor when more rows follow.
func keysetPage<Row>(_ rows: [Row], limit: Int, key: (Row) -> Int64)
  -> (rows: ArraySlice<Row>, nextCursor: String?)
{
  let page = rows.prefix(limit)
  return (page, rows.count > limit ? page.last.map { String(key($0)) } : nil)
}
