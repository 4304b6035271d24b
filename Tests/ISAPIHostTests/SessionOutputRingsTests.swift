import Foundation
import Synchronization
import Testing
@testable import ISAPIHost

/// The rings of finished sessions are kept for the next ones in lock-free slots: a ring
/// taken from a slot must be in one session's hands only, however many threads make and
/// drop sessions at once.
@Suite struct SessionOutputRingsTests {
    @Test func concurrentSessionsNeverShareARing() {
        let threads = 8, rounds = 2_000, perRound = 3
        let inUse = Mutex<Set<UInt>>([])
        let sharedRings = Atomic<Int>(0)
        let filledWrongly = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: threads) { thread in
            for round in 0..<rounds {
                let outputs = (0..<perRound).map { _ in SessionOutput() }
                let mark = UInt8(truncatingIfNeeded: thread &* 31 &+ round)
                for output in outputs {
                    let address = UInt(bitPattern: output.raw.pointee.bytes!)
                    if !inUse.withLock({ $0.insert(address).inserted }) { sharedRings.add(1, ordering: .relaxed) }
                    output.raw.pointee.bytes!.update(repeating: mark, count: SessionOutput.capacity)
                }
                // Another thread writing into one of these rings would show here.
                for output in outputs where output.raw.pointee.bytes![SessionOutput.capacity - 1] != mark
                    || output.raw.pointee.bytes![0] != mark {
                    filledWrongly.add(1, ordering: .relaxed)
                }
                for output in outputs {
                    _ = inUse.withLock { $0.remove(UInt(bitPattern: output.raw.pointee.bytes!)) }
                }
            }
        }
        #expect(sharedRings.load(ordering: .relaxed) == 0)
        #expect(filledWrongly.load(ordering: .relaxed) == 0)
    }
}
