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

/// Checks a container image reference (`registry:5000/team/name:tag` or `name@sha256:...`): bounded,
/// only the characters references use, a lowercase repository, nothing an option parser could take.
pub(crate) fn image(value: &str) -> Result<(), EngineError> {
    text("image", value)?;
    let allowed = |c: char| c.is_ascii_alphanumeric() || "._-/:@".contains(c);
    if let Some(bad) = value.chars().find(|c| !allowed(*c)) {
        return Err(EngineError::Invalid(format!("image {value:?} must not contain {bad:?}")));
    }
    let repository = value.split('@').next().unwrap_or_default();
    let (path, last) = repository.rsplit_once('/').unwrap_or(("", repository));
    let name = last.split(':').next().unwrap_or_default();
    let malformed = value.is_empty()
        || value.starts_with(['-', '.', '/', ':', '@'])
        || value.ends_with(['/', ':', '@'])
        || value.contains("..")
        || value.contains("//")
        || name.is_empty()
        || name.chars().any(|c| c.is_ascii_uppercase())
        || path.split('/').skip(1).any(|part| part.chars().any(|c| c.is_ascii_uppercase()));
    if malformed {
        return Err(EngineError::Invalid(format!(
            "image {value:?} is not a container image reference (such as registry.example.com/team/name:tag)"
        )));
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

    #[test]
    fn image_references_are_checked() {
        for good in [
            "python3",
            "localhost/qinling/python3:latest",
            "Registry.Example.com:5000/team/fn:V1.2",
            "fn@sha256:0123456789abcdef",
        ] {
            assert!(image(good).is_ok(), "{good}");
        }
        for bad in ["", "-rm", "py thon", "a/../b", "Python3", "team/Fn:1", "name:", "x;rm -rf /", "a//b"] {
            assert!(image(bad).is_err(), "{bad:?}");
        }
    }
}
