//! Field checks shared by every resource: text lengths (Qinling's columns are 255 characters) and names.

use crate::EngineError;

/// Longest name or description, as in Qinling's schema.
pub(crate) const MAX_TEXT: usize = 255;

/// Checks a free-text field's length.
pub(crate) fn text(field: &str, value: &str) -> Result<(), EngineError> {
    let length = value.chars().count();
    if length > MAX_TEXT {
        return Err(EngineError::Invalid(format!("{field} is {length} characters long; the limit is {MAX_TEXT}")));
    }
    Ok(())
}

/// Checks a name: bounded, no control characters, no path separators (names appear in URLs and logs).
pub(crate) fn name(field: &str, value: &str) -> Result<(), EngineError> {
    text(field, value)?;
    if let Some(bad) = value.chars().find(|c| c.is_control() || *c == '/' || *c == '\\') {
        return Err(EngineError::Invalid(format!("{field} must not contain {bad:?}")));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_is_refused_with_its_length() {
        let err = text("description", &"x".repeat(256)).unwrap_err();
        assert_eq!(err.to_string(), "description is 256 characters long; the limit is 255");
        assert!(text("description", &"é".repeat(255)).is_ok());
    }

    #[test]
    fn names_cannot_carry_paths_or_control_characters() {
        assert!(name("name", "../../etc/passwd").is_err());
        assert!(name("name", "a\nb").is_err());
        assert!(name("name", "word-stats v2").is_ok());
    }
}
