@testable import HTTPDaemon
import ServerConfig
import Testing

/// The hand-off from the supervising parent to the serving child, through one
/// environment variable.
@Suite struct SupervisionTests {
    @Test func roundTripsThroughTheEnvironmentValue() throws {
        let supervision = Supervision(
            listeners: [ListenAddress(host: nil, port: 80): 3, ListenAddress(host: "::1", port: 8080): 4,
                        ListenAddress(host: "127.0.0.1", port: 0): 7],
            crashBoard: 5, parentWatch: 6)
        #expect(supervision.environmentValue == "board 5\nwatch 6\nlisten 3 * 80\nlisten 4 ::1 8080\nlisten 7 127.0.0.1 0")
        #expect(Supervision(environmentValue: supervision.environmentValue) == supervision)
    }

    @Test(arguments: ["", "board 5", "watch 6", "board 5\nwatch 6\nlisten 3 * eighty", "board x\nwatch 6",
                      "board 5\nwatch 6\nsomething else"])
    func malformedValuesAreRefused(value: String) {
        #expect(Supervision(environmentValue: value) == nil)
    }
}
