//! [`Context`]: what the platform tells a function about the execution it runs in.

use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The execution a function runs in, from the `QINLING_*` environment the host sets.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Context {
    pub execution_id: String,
    pub function_id: String,
    /// The function version running (0: the latest code).
    pub function_version: u32,
    /// When the execution times out.
    pub deadline: Option<SystemTime>,
}

impl Context {
    /// Time left before the execution times out (zero once it has passed; `None` if unknown).
    pub fn remaining(&self) -> Option<Duration> {
        let deadline = self.deadline?;
        Some(deadline.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
    }

    fn from_vars(var: impl Fn(&str) -> Option<String>) -> Self {
        Self {
            execution_id: var("QINLING_EXECUTION_ID").unwrap_or_default(),
            function_id: var("QINLING_FUNCTION_ID").unwrap_or_default(),
            function_version: var("QINLING_FUNCTION_VERSION").and_then(|v| v.parse().ok()).unwrap_or(0),
            deadline: var("QINLING_DEADLINE_MS")
                .and_then(|ms| ms.parse::<u64>().ok())
                .map(|ms| UNIX_EPOCH + Duration::from_millis(ms)),
        }
    }
}

/// The context of the current execution.
pub fn context() -> Context {
    Context::from_vars(|name| std::env::var(name).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_context_comes_from_the_qinling_environment() {
        let vars = [
            ("QINLING_EXECUTION_ID", "e1"),
            ("QINLING_FUNCTION_ID", "f1"),
            ("QINLING_FUNCTION_VERSION", "3"),
            ("QINLING_DEADLINE_MS", "1000"),
        ];
        let context = Context::from_vars(|name| vars.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string()));
        assert_eq!(context.execution_id, "e1");
        assert_eq!(context.function_version, 3);
        assert_eq!(context.deadline, Some(UNIX_EPOCH + Duration::from_secs(1)));
        assert_eq!(context.remaining(), Some(Duration::ZERO), "a deadline in 1970 has passed");
    }

    #[test]
    fn outside_the_platform_the_context_is_empty() {
        let context = Context::from_vars(|_| None);
        assert_eq!(
            context,
            Context { execution_id: String::new(), function_id: String::new(), function_version: 0, deadline: None }
        );
        assert_eq!(context.remaining(), None);
    }
}
