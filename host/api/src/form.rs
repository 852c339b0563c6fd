//! Reading a function's fields however a client sends them: a multipart form with the package as file
//! field `package` (Qinling's quickstart, the `openstack` CLI), a URL-encoded form (Qinling's client when
//! there is no file), or a JSON object (whose known fields must have the right JSON type). Every value
//! becomes text, then [`FunctionForm`] parses it.

use std::collections::HashMap;

use axum::extract::{FromRequest, Multipart, Request};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use bytes::Bytes;
use qinling_core::RequestedLimits;
use qinling_engine::CodeRequest;
use serde_json::Value;

use crate::ApiError;

/// Fields a JSON body must send as a string (or, for the limits, a number).
const TEXT_FIELDS: &[&str] =
    &["name", "description", "runtime_id", "entry", "source", "md5sum", "timeout", "memory_size", "cpu"];
/// Fields a JSON body may send as structured JSON: `code` an object, `allowed_hosts` a list.
const JSON_FIELDS: &[&str] = &["code", "allowed_hosts"];

/// The fields of a function create or update request, as text, and the package, if any.
pub(crate) struct FunctionForm {
    fields: HashMap<String, String>,
    pub(crate) package: Option<Bytes>,
}

impl FunctionForm {
    pub(crate) async fn read(request: Request) -> Result<Self, ApiError> {
        let content_type = request
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default()
            .to_ascii_lowercase();
        if content_type.starts_with("multipart/form-data") {
            Self::from_multipart(request).await
        } else if content_type.starts_with("application/x-www-form-urlencoded") {
            let body = read_body(request).await?;
            let fields = serde_urlencoded_pairs(&body)?;
            Ok(Self { fields, package: None })
        } else if content_type.starts_with("application/json") {
            let body = read_body(request).await?;
            Self::from_json(&body)
        } else {
            Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "send a function as multipart/form-data (with the package in the `package` field), \
                 application/x-www-form-urlencoded or application/json",
            ))
        }
    }

    async fn from_multipart(request: Request) -> Result<Self, ApiError> {
        let mut multipart = Multipart::from_request(request, &())
            .await
            .map_err(|e| ApiError::new(e.status(), format!("malformed multipart form: {}", e.body_text())))?;
        let mut fields = HashMap::new();
        let mut package = None;
        loop {
            let field =
                multipart.next_field().await.map_err(|e| ApiError::new(e.status(), multipart_error(&e.body_text())))?;
            let Some(field) = field else { break };
            let name = field.name().unwrap_or_default().to_owned();
            let bytes = field.bytes().await.map_err(|e| ApiError::new(e.status(), multipart_error(&e.body_text())))?;
            if name == "package" {
                package = Some(bytes);
            } else {
                let text = String::from_utf8(bytes.to_vec())
                    .map_err(|_| ApiError::bad_request(format!("form field {name:?} is not UTF-8 text")))?;
                fields.insert(name, text);
            }
        }
        Ok(Self { fields, package })
    }

    fn from_json(body: &[u8]) -> Result<Self, ApiError> {
        let value: Value =
            serde_json::from_slice(body).map_err(|e| ApiError::bad_request(format!("malformed JSON: {e}")))?;
        let Value::Object(object) = value else {
            return Err(ApiError::bad_request("the body must be a JSON object"));
        };
        let mut fields = HashMap::new();
        for (key, value) in object {
            let text = match (key.as_str(), value) {
                (_, Value::Null) => continue,
                (_, Value::String(text)) => text,
                ("timeout" | "memory_size" | "cpu", Value::Number(number)) => number.to_string(),
                ("code", value @ Value::Object(_)) | ("allowed_hosts", value @ Value::Array(_)) => value.to_string(),
                (field, _) if TEXT_FIELDS.contains(&field) || JSON_FIELDS.contains(&field) => {
                    return Err(ApiError::bad_request(format!("{field} has the wrong type")));
                }
                _ => continue,
            };
            fields.insert(key, text);
        }
        Ok(Self { fields, package: None })
    }

    pub(crate) fn text(&self, field: &str) -> Option<String> {
        self.fields.get(field).cloned()
    }

    /// An integer field; `None` when absent or empty.
    pub(crate) fn integer(&self, field: &str) -> Result<Option<i64>, ApiError> {
        match self.fields.get(field).map(|text| text.trim()) {
            None | Some("") => Ok(None),
            Some(text) => text
                .parse()
                .map(Some)
                .map_err(|_| ApiError::bad_request(format!("{field} must be an integer, not {text:?}"))),
        }
    }

    /// The `allowed_hosts` field: a JSON array of origins, or origins separated by commas or whitespace.
    /// `None` when absent; an empty value means none.
    pub(crate) fn allowed_hosts(&self) -> Result<Option<Vec<String>>, ApiError> {
        let Some(text) = self.fields.get("allowed_hosts").map(|text| text.trim()) else { return Ok(None) };
        if text.starts_with('[') {
            return serde_json::from_str::<Vec<String>>(text)
                .map(Some)
                .map_err(|e| ApiError::bad_request(format!("allowed_hosts must be a list of origins: {e}")));
        }
        Ok(Some(
            text.split(|c: char| c == ',' || c.is_whitespace())
                .filter(|host| !host.is_empty())
                .map(str::to_owned)
                .collect(),
        ))
    }

    pub(crate) fn limits(&self) -> Result<RequestedLimits, ApiError> {
        Ok(RequestedLimits {
            timeout_secs: self.integer("timeout")?,
            memory_size: self.integer("memory_size")?,
            cpu: self.integer("cpu")?,
        })
    }

    /// The `code` field: JSON text such as `{"source": "package", "md5sum": "..."}`. Qinling's client
    /// sends an update's code as top-level `source` and `md5sum` fields instead, which count the same.
    pub(crate) fn code(&self) -> Result<Option<CodeRequest>, ApiError> {
        let Some(text) = self.fields.get("code") else {
            return match (self.fields.get("source").map(String::as_str), self.fields.get("md5sum")) {
                (None | Some("package"), Some(md5sum)) => {
                    Ok(Some(CodeRequest::Package { md5sum: Some(md5sum.clone()) }))
                }
                (Some(source), _) if source != "package" => {
                    parse_code(&serde_json::json!({"source": source})).map(Some)
                }
                _ => Ok(None),
            };
        };
        let value: Value = serde_json::from_str(text).map_err(|e| {
            ApiError::bad_request(format!("code must be a JSON object such as {{\"source\": \"package\"}}: {e}"))
        })?;
        parse_code(&value).map(Some)
    }
}

fn parse_code(value: &Value) -> Result<CodeRequest, ApiError> {
    let text = |key: &str| -> Result<Option<String>, ApiError> {
        match value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::String(text)) => Ok(Some(text.clone())),
            Some(other) => Err(ApiError::bad_request(format!("code.{key} must be a string, not {other}"))),
        }
    };
    if !value.is_object() {
        return Err(ApiError::bad_request(format!("code must be a JSON object, not {value}")));
    }
    match text("source")?.as_deref() {
        Some("package") => Ok(CodeRequest::Package { md5sum: text("md5sum")? }),
        Some("object") => Ok(CodeRequest::Object {
            key: text("key")?.ok_or_else(|| ApiError::bad_request("code.key is required for source \"object\""))?,
        }),
        Some("swift") => {
            let swift = value.get("swift").cloned().unwrap_or(Value::Null);
            let part = |key: &str| swift.get(key).and_then(Value::as_str).map(str::to_owned);
            match (part("container"), part("object")) {
                (Some(container), Some(object)) => Ok(CodeRequest::Swift { container, object }),
                _ => Err(ApiError::bad_request("code.swift needs both \"container\" and \"object\"")),
            }
        }
        Some("image") => Ok(CodeRequest::Image {
            image: text("image")?
                .ok_or_else(|| ApiError::bad_request("code.image is required for source \"image\""))?,
        }),
        Some(other) => Err(ApiError::bad_request(format!(
            "code.source must be \"package\", \"object\", \"swift\" or \"image\", not {other:?}"
        ))),
        None => Err(ApiError::bad_request("code.source is required (\"package\" for an uploaded package)")),
    }
}

fn multipart_error(detail: &str) -> String {
    format!("cannot read the multipart form: {detail}")
}

async fn read_body(request: Request) -> Result<Bytes, ApiError> {
    Bytes::from_request(request, &())
        .await
        .map_err(|e| ApiError::new(e.status(), format!("cannot read the body: {}", e.body_text())))
}

fn serde_urlencoded_pairs(body: &[u8]) -> Result<HashMap<String, String>, ApiError> {
    let pairs: Vec<(String, String)> =
        serde_urlencoded::from_bytes(body).map_err(|e| ApiError::bad_request(format!("malformed form: {e}")))?;
    Ok(pairs.into_iter().collect())
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn code_sources_parse_as_qinling_sent_them() {
        assert_eq!(
            parse_code(&json!({"source": "package", "md5sum": "abc"})).unwrap(),
            CodeRequest::Package { md5sum: Some("abc".into()) }
        );
        assert_eq!(
            parse_code(&json!({"source": "swift", "swift": {"container": "c", "object": "o"}})).unwrap(),
            CodeRequest::Swift { container: "c".into(), object: "o".into() }
        );
        assert_eq!(
            parse_code(&json!({"source": "image", "image": "demo/hello"})).unwrap(),
            CodeRequest::Image { image: "demo/hello".into() }
        );
    }

    #[test]
    fn bad_code_says_what_is_wrong() {
        let message = |value| format!("{:?}", parse_code(&value).unwrap_err());
        assert!(message(json!({"source": "ftp"})).contains("code.source must be"));
        assert!(message(json!({})).contains("code.source is required"));
        assert!(message(json!({"source": "package", "md5sum": 5})).contains("code.md5sum must be a string"));
        assert!(message(json!([1])).contains("code must be a JSON object"));
    }
}
