//! Execution input, as Qinling accepted it: JSON text is used as the JSON it holds, anything else as a
//! JSON string, so `--input hello` and `--input '{"name": "x"}'` both work. The function always receives
//! valid JSON text.

/// The JSON text a function receives for the raw `input` a client sent (`None`: an empty object).
pub(crate) fn normalize(raw: Option<&str>) -> String {
    match raw {
        None => "{}".to_owned(),
        Some(text) => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(value) => value.to_string(),
            Err(_) => serde_json::Value::String(text.to_owned()).to_string(),
        },
    }
}

/// Checks that a function's output is JSON text, as the contract requires.
pub(crate) fn check_output(output: &str) -> Result<(), String> {
    serde_json::from_str::<serde::de::IgnoredAny>(output)
        .map(drop)
        .map_err(|e| format!("the function returned invalid JSON ({e}): {}", preview(output)))
}

fn preview(text: &str) -> String {
    const MAX: usize = 80;
    match text.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{:?}...", &text[..cut]),
        None => format!("{text:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_text_is_kept_as_json_and_compacted() {
        assert_eq!(normalize(Some(r#"{ "name": "Qinling" }"#)), r#"{"name":"Qinling"}"#);
        assert_eq!(normalize(Some("6")), "6");
    }

    #[test]
    fn other_text_becomes_a_json_string() {
        assert_eq!(normalize(Some("hello world")), r#""hello world""#);
    }

    #[test]
    fn no_input_is_an_empty_object() {
        assert_eq!(normalize(None), "{}");
    }

    #[test]
    fn invalid_output_is_reported_with_a_preview() {
        assert_eq!(check_output(r#"{"ok":true}"#), Ok(()));
        let err = check_output("this is not json").unwrap_err();
        assert!(err.starts_with("the function returned invalid JSON"), "{err}");
        assert!(err.ends_with("\"this is not json\""), "{err}");
    }
}
