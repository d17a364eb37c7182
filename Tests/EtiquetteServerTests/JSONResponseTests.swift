import Foundation
import Hummingbird
import Testing

@testable import EtiquetteServer

/// An answer that cannot be encoded is a 500 saying so, never an empty `{}` read as success.
@Suite struct JSONResponseTests {
  @Test func anUnencodableAnswerIsA500NotAnEmptyObject() {
    #expect(JSONResponse.encoded(["ratio": Double.nan]) == nil)
    let response = JSONResponse.make(["ratio": Double.nan])
    #expect(response.status == .internalServerError)
    #expect(response.headers[.contentType] == "application/json; charset=utf-8")
    #expect(JSONResponse.unencodable.contains("unencodable_answer"))
    #expect(JSONResponse.make(["ratio": 0.5]).status == .ok)
  }

  @Test func bytesAreTwoLowerCaseHexDigitsEach() {
    #expect([0x00, 0x0f, 0xa5, 0xff].hexString == "000fa5ff")
    #expect([UInt8]().hexString == "")
  }
}
