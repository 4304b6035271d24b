import RewriteEngine
import Testing

@Test func defaultRepeatLimitIs32() {
    #expect(defaultRepeatLimit == 32)
}
