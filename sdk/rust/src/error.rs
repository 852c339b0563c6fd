//! [`Error`]: a function's failure, from any error or message.

use std::fmt;

/// Why a function failed; its message becomes the execution's failure. Any `std::error::Error` converts
/// into it with `?`.
pub struct Error(Box<dyn std::error::Error + Send + Sync>);

impl Error {
    /// An error with this message.
    pub fn msg(message: impl fmt::Display) -> Self {
        Self(message.to_string().into())
    }
}

impl<E: std::error::Error + Send + Sync + 'static> From<E> for Error {
    fn from(error: E) -> Self {
        Self(Box::new(error))
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn errors_convert_and_keep_their_message() {
        fn parse(text: &str) -> Result<u32, Error> {
            Ok(text.parse::<u32>()?)
        }
        assert_eq!(parse("x").unwrap_err().to_string(), "invalid digit found in string");
        assert_eq!(Error::msg("nope").to_string(), "nope");
    }
}
