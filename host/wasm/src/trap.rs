//! Turning a trap into a message the function's author can act on. The full error, with its wasm
//! backtrace, goes to the execution log; the message says what limit was hit, if one was.

use std::time::Duration;

use wasmtime::Trap;

use crate::log_sink::LogSink;

pub(crate) fn timed_out(timeout: Duration) -> String {
    format!("timed out after {} s (the function's timeout)", timeout.as_secs_f64())
}

pub(crate) fn describe(
    error: &wasmtime::Error,
    memory_refused: Option<usize>,
    timeout: Duration,
    memory_size: u64,
    log: &LogSink,
) -> String {
    log.append_line(&format!("[qinling: {error:?}]"));
    let trap = error.downcast_ref::<Trap>();
    if trap == Some(&Trap::Interrupt) {
        return timed_out(timeout);
    }
    if let Some(asked) = memory_refused {
        return format!(
            "memory limit exceeded: the function asked for {} MiB of linear memory, its memory_size is {} MiB",
            asked.div_ceil(1 << 20),
            memory_size >> 20
        );
    }
    match trap {
        Some(Trap::StackOverflow) => "stack overflow: the function recursed too deeply".to_owned(),
        // Rust, C and C++ keep their stack in linear memory: overflowing it runs off the memory's start.
        Some(Trap::MemoryOutOfBounds) => "the function trapped: out of bounds memory access (in Rust, C or C++ \
                                          code this is how a stack overflow from deep recursion shows up)"
            .to_owned(),
        Some(trap) => format!("the function trapped: {trap}"),
        None => format!("the function failed: {error}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_growth_explains_the_trap() {
        let log = LogSink::new(1024);
        let error = wasmtime::Error::from(Trap::UnreachableCodeReached);
        let message = describe(&error, Some(70 << 20), Duration::from_secs(5), 64 << 20, &log);
        assert_eq!(
            message,
            "memory limit exceeded: the function asked for 70 MiB of linear memory, its memory_size is 64 MiB"
        );
        assert!(log.text().contains("unreachable"), "the raw trap is logged");
    }

    #[test]
    fn an_interrupt_is_a_timeout() {
        let log = LogSink::new(1024);
        let message = describe(&wasmtime::Error::from(Trap::Interrupt), None, Duration::from_secs(2), 0, &log);
        assert_eq!(message, "timed out after 2 s (the function's timeout)");
    }
}
