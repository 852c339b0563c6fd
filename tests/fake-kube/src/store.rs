//! The fake API server's objects: Deployments and Pods of one namespace, with a cluster-wide
//! resourceVersion counter, equality label selectors and JSON merge patches (RFC 7386), as the real API
//! server applies them to what the bridge sends.

use std::collections::BTreeMap;

use k8s_openapi::api::apps::v1::Deployment;
use k8s_openapi::api::core::v1::Pod;
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use serde_json::Value;

#[derive(Default)]
pub(crate) struct Objects {
    pub(crate) deployments: BTreeMap<String, Deployment>,
    pub(crate) pods: BTreeMap<String, Pod>,
    version: u64,
    names: u64,
}

impl Objects {
    /// The next resourceVersion, stamped on an object that is being written.
    pub(crate) fn stamp(&mut self, metadata: &mut ObjectMeta) {
        self.version += 1;
        metadata.resource_version = Some(self.version.to_string());
        if metadata.uid.is_none() {
            metadata.uid = Some(format!("uid-{}", self.version));
            metadata.creation_timestamp = Some(k8s_openapi::apimachinery::pkg::apis::meta::v1::Time(now()));
        }
    }

    /// A fresh name suffix, as a ReplicaSet gives its pods.
    pub(crate) fn suffix(&mut self) -> String {
        self.names += 1;
        format!("{:05x}", self.names * 7919 % 0xfffff)
    }
}

fn now() -> k8s_openapi::jiff::Timestamp {
    let elapsed = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default();
    k8s_openapi::jiff::Timestamp::from_second(elapsed.as_secs() as i64).expect("a time jiff can hold")
}

/// A parsed label selector: `key=value`, `key==value` and `key!=value` terms, all of which must hold.
pub(crate) struct Selector(Vec<(String, bool, String)>);

impl Selector {
    pub(crate) fn parse(text: &str) -> Result<Self, String> {
        let mut terms = Vec::new();
        for term in text.split(',').map(str::trim).filter(|term| !term.is_empty()) {
            let (key, equal, value) = if let Some((key, value)) = term.split_once("!=") {
                (key, false, value)
            } else if let Some((key, value)) = term.split_once("==").or_else(|| term.split_once('=')) {
                (key, true, value)
            } else {
                return Err(format!("unable to parse requirement: {term:?} (this fake supports =, == and !=)"));
            };
            terms.push((key.trim().to_owned(), equal, value.trim().to_owned()));
        }
        Ok(Self(terms))
    }

    pub(crate) fn matches(&self, labels: Option<&BTreeMap<String, String>>) -> bool {
        self.0.iter().all(|(key, equal, value)| {
            let actual = labels.and_then(|labels| labels.get(key));
            (actual == Some(value)) == *equal
        })
    }
}

/// Whether `labels` has every pair of `wanted` (a Deployment's `matchLabels`).
pub(crate) fn has_labels(labels: Option<&BTreeMap<String, String>>, wanted: &BTreeMap<String, String>) -> bool {
    wanted.iter().all(|(key, value)| labels.and_then(|labels| labels.get(key)) == Some(value))
}

/// Applies a JSON merge patch (RFC 7386) to `target`.
pub(crate) fn merge(target: &mut Value, patch: &Value) {
    let Value::Object(patch) = patch else {
        *target = patch.clone();
        return;
    };
    if !target.is_object() {
        *target = Value::Object(Default::default());
    }
    let object = target.as_object_mut().expect("made an object above");
    for (key, value) in patch {
        if value.is_null() {
            object.remove(key);
        } else {
            merge(object.entry(key.clone()).or_insert(Value::Null), value);
        }
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn selectors_match_equality_terms() {
        let labels = BTreeMap::from([("role".to_owned(), "pool".to_owned()), ("runtime".to_owned(), "r1".to_owned())]);
        assert!(Selector::parse("role=pool,runtime==r1").unwrap().matches(Some(&labels)));
        assert!(!Selector::parse("role=worker").unwrap().matches(Some(&labels)));
        assert!(Selector::parse("function!=f1").unwrap().matches(Some(&labels)));
        assert!(Selector::parse("role in (pool)").is_err());
    }

    #[test]
    fn merge_patches_follow_rfc_7386() {
        let mut target = json!({"a": 1, "b": {"c": 2, "d": 3}});
        merge(&mut target, &json!({"a": null, "b": {"c": 5}, "e": [1]}));
        assert_eq!(target, json!({"b": {"c": 5, "d": 3}, "e": [1]}));
    }
}
