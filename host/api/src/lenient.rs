//! Numbers as Qinling's clients send them: the `openstack` CLI passes some integers through as text
//! (`"function_version": "0"`), so integer fields accept a JSON number or a string holding one.

use serde::{Deserialize, Deserializer};

/// Deserializes an optional integer from a number, a numeric string, or null.
pub(crate) fn option_i64<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<i64>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Lenient {
        Number(i64),
        Text(String),
    }
    match Option::<Lenient>::deserialize(deserializer)? {
        None => Ok(None),
        Some(Lenient::Number(number)) => Ok(Some(number)),
        Some(Lenient::Text(text)) if text.trim().is_empty() => Ok(None),
        Some(Lenient::Text(text)) => text
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom(format!("expected an integer, found {text:?}"))),
    }
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    #[derive(Deserialize)]
    struct Body {
        #[serde(default, deserialize_with = "super::option_i64")]
        version: Option<i64>,
    }

    fn parse(json: &str) -> Result<Option<i64>, String> {
        serde_json::from_str::<Body>(json).map(|body| body.version).map_err(|e| e.to_string())
    }

    #[test]
    fn numbers_and_numeric_text_are_integers() {
        assert_eq!(parse(r#"{"version": 3}"#), Ok(Some(3)));
        assert_eq!(parse(r#"{"version": "3"}"#), Ok(Some(3)));
        assert_eq!(parse(r#"{"version": null}"#), Ok(None));
        assert_eq!(parse(r#"{}"#), Ok(None));
    }

    #[test]
    fn other_text_is_refused_by_name() {
        assert!(parse(r#"{"version": "three"}"#).unwrap_err().contains("expected an integer, found \"three\""));
        assert!(parse(r#"{"version": 1.5}"#).is_err());
    }
}
