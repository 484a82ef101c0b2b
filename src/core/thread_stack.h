// The call stack of a thread, as readable lines: the loop watchdog names what a blocked loop
// is doing. capture_thread_stack() interrupts the thread with a real-time signal whose handler
// records the return addresses (backtrace(), prepared beforehand so the handler does not
// allocate); names come afterwards, off that thread, from dladdr and, for symbols the binary
// does not export, addr2line. The interrupted system call restarts (SA_RESTART, and the waits
// the loops use retry on EINTR), so the thread goes on as before.
#pragma once

#include <pthread.h>

#include <string>
#include <vector>

namespace parley {

// The stack of `thread` (of this process), innermost first; empty if it did not answer within
// a second. One capture at a time (serialised); any thread but `thread` itself.
std::vector<std::string> capture_thread_stack(pthread_t thread);

// The calling thread's own stack, innermost first.
std::vector<std::string> current_thread_stack();

}  // namespace parley
