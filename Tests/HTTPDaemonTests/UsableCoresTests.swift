import Testing

@testable import HTTPDaemon

/// The CPUs a process may run on, read from /proc/self/status's affinity mask.
@Suite struct UsableCoresTests {
    @Test func countsTheBitsOfTheMask() {
        #expect(UsableCores.allowedCPUs(status: "Name:\tisapid\nCpus_allowed:\t1\nCpus_allowed_list:\t0\n") == 1)
        #expect(UsableCores.allowedCPUs(status: "Cpus_allowed:\t3\n") == 2)
        #expect(UsableCores.allowedCPUs(status: "Cpus_allowed:\tff,0000000f\n") == 12)
    }

    @Test func aMissingOrGarbledLineIsUnknown() {
        #expect(UsableCores.allowedCPUs(status: "Name:\tisapid\n") == nil)
        #expect(UsableCores.allowedCPUs(status: "Cpus_allowed:\tzz\n") == nil)
    }
}
