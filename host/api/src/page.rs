//! Paging parameters (`limit`, `marker`) in, and a `next` link out, for every list.

use axum::http::HeaderMap;
use qinling_core::Page;
use qinling_engine::Listed;
use serde::Deserialize;

use crate::ApiError;

/// Largest page a client may ask for.
const MAX_LIMIT: usize = 10_000;

#[derive(Deserialize, Default)]
pub(crate) struct PageQuery {
    limit: Option<String>,
    marker: Option<String>,
}

impl PageQuery {
    /// The page asked for, with a marker parsed by `parse_marker`.
    pub(crate) fn page<Id>(&self, parse_marker: impl FnOnce(&str) -> Option<Id>) -> Result<Page<Id>, ApiError> {
        let limit = match self.limit.as_deref() {
            None | Some("") => None,
            Some(text) => match text.parse::<usize>() {
                Ok(limit) if (1..=MAX_LIMIT).contains(&limit) => Some(limit),
                _ => {
                    return Err(ApiError::bad_request(format!(
                        "limit must be an integer from 1 to {MAX_LIMIT}, not {text:?}"
                    )));
                }
            },
        };
        let marker = match self.marker.as_deref() {
            None | Some("") => None,
            Some(text) => Some(
                parse_marker(text)
                    .ok_or_else(|| ApiError::bad_request(format!("marker {text:?} names nothing here")))?,
            ),
        };
        Ok(Page { limit, marker })
    }
}

/// The URL of the page after `listed`, if there is one: `path` with `filters`, the page's limit and
/// the next marker, on the host the client used.
pub(crate) fn next_link<T>(
    headers: &HeaderMap,
    path: &str,
    filters: &[(&str, Option<String>)],
    limit: usize,
    listed: &Listed<T>,
) -> Option<String> {
    let marker = listed.next_marker.as_ref()?;
    let mut query: Vec<(&str, String)> =
        filters.iter().filter_map(|(key, value)| value.clone().map(|value| (*key, value))).collect();
    query.push(("limit", limit.to_string()));
    query.push(("marker", marker.clone()));
    let query = serde_urlencoded::to_string(&query).unwrap_or_default();
    Some(format!("{}{path}?{query}", crate::root::base_url(headers)))
}

#[cfg(test)]
mod tests {
    use axum::http::header::HOST;

    use super::*;

    #[test]
    fn limits_out_of_range_are_refused() {
        let query = PageQuery { limit: Some("0".into()), marker: None };
        assert!(query.page(|_| Some(())).is_err());
        let query = PageQuery { limit: Some("abc".into()), marker: None };
        assert!(query.page(|_| Some(())).is_err());
        let query = PageQuery { limit: Some("10".into()), marker: Some("m".into()) };
        assert_eq!(query.page(|m| Some(m.to_owned())).unwrap(), Page { limit: Some(10), marker: Some("m".to_owned()) });
    }

    #[test]
    fn the_next_link_keeps_the_filters() {
        let mut headers = HeaderMap::new();
        headers.insert(HOST, "qinling:7070".parse().unwrap());
        let listed = Listed { items: vec![1], next_marker: Some("abc".into()) };
        let link = next_link(
            &headers,
            "/v1/executions",
            &[("status", Some("failed".into())), ("function_id", None)],
            1,
            &listed,
        );
        assert_eq!(link.as_deref(), Some("http://qinling:7070/v1/executions?status=failed&limit=1&marker=abc"));
        let last = Listed { items: vec![1], next_marker: None };
        assert_eq!(next_link(&headers, "/v1/executions", &[], 1, &last), None);
    }
}
