//! `search://syntax`: how to write a `search_catalog` query, in our own words, as markdown.
//! The text is `search_syntax.md` beside this file; its examples are checked against the
//! dataset by `tests/resources_agent.rs`, so they keep finding something.

use serde_json::Value;

use crate::tools::ToolError;

/// The markdown served.
pub const SEARCH_SYNTAX: &str = include_str!("search_syntax.md");

pub(super) async fn search_syntax() -> Result<Value, ToolError> {
    Ok(Value::String(SEARCH_SYNTAX.to_string()))
}
