//! The target options shared by executions, jobs and webhooks: a function (and version) or an alias.

use clap::Args;
use serde_json::{Map, Value, json};

#[derive(Args, Debug)]
pub(crate) struct TargetArgs {
    /// The function to run.
    #[arg(long, conflicts_with = "alias")]
    function: Option<String>,
    /// The function version to run (0: the latest code).
    #[arg(long, requires = "function")]
    version: Option<i64>,
    /// An alias naming the function and version to run.
    #[arg(long)]
    alias: Option<String>,
}

impl TargetArgs {
    /// Adds `function_id`/`function_version` or `function_alias` to a request body.
    pub(crate) fn add_to(&self, body: &mut Map<String, Value>) {
        if let Some(function) = &self.function {
            body.insert("function_id".into(), json!(function));
        }
        if let Some(version) = self.version {
            body.insert("function_version".into(), json!(version));
        }
        if let Some(alias) = &self.alias {
            body.insert("function_alias".into(), json!(alias));
        }
    }
}
