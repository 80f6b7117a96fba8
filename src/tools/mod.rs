//! The tool table. Each row is a name, title, description, annotations, an argument type (the
//! JSON Schema comes from the same type that decodes the arguments) and an async handler.
//! `tools/list` is generated from [`AREAS`] alone, in table order; nothing registers at run time.

pub mod admin;
pub mod buckets;
pub mod navigation;
pub mod packages;
pub mod search;
pub mod tabulator;
mod toolset;
pub mod view;

pub use toolset::{Toolset, Toolsets};
pub use view::{Narrowing, ToolView};

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::catalog::{CatalogError, OnBehalf};
use crate::http::BoxFuture;
use crate::mcp::transport::RequestContext;

/// The context a tool runs in: the verified caller, the request id and the shared state.
pub type Ctx = RequestContext;

impl RequestContext {
    /// The caller's identity for catalog calls.
    pub fn on_behalf(&self) -> OnBehalf<'_> {
        OnBehalf {
            token: &self.caller.token,
            request_id: &self.request_id,
        }
    }
}

/// MCP tool annotations: hints for clients about what a tool does.
#[derive(Clone, Copy, Debug)]
pub struct Annotations {
    pub read_only: bool,
    pub destructive: bool,
    pub idempotent: bool,
    pub open_world: bool,
}

impl Annotations {
    /// Reads data from the catalog and changes nothing.
    pub const READ_ONLY: Annotations = Annotations {
        read_only: true,
        destructive: false,
        idempotent: true,
        open_world: true,
    };
    /// Computes locally from its arguments; touches nothing outside.
    pub const LOCAL: Annotations = Annotations {
        read_only: true,
        destructive: false,
        idempotent: true,
        open_world: false,
    };
    /// Adds something new to the catalog; calling it twice tries to add it twice.
    pub const WRITE: Annotations = Annotations {
        read_only: false,
        destructive: false,
        idempotent: false,
        open_world: true,
    };
    /// Adds to what is there without removing anything; calling it again changes nothing more.
    pub const WRITE_IDEMPOTENT: Annotations = Annotations {
        idempotent: true,
        ..Annotations::WRITE
    };
    /// Deletes, replaces or revokes something in the catalog; calling it again with the same
    /// arguments changes nothing more.
    pub const DESTRUCTIVE: Annotations = Annotations {
        read_only: false,
        destructive: true,
        idempotent: true,
        open_world: true,
    };
}

/// Why a tool call failed: always answered as a result with `isError: true`, so the agent can
/// correct itself.
#[derive(Debug, Clone, PartialEq)]
pub enum ToolError {
    /// An argument is missing, of the wrong type, or out of range.
    InvalidArgument { field: String, message: String },
    /// The catalog refused or failed.
    Catalog(CatalogError),
    /// What the caller named does not exist, or they cannot see it; says how to find it.
    NotFound(String),
    /// Anything else, said plainly.
    Failed(String),
}

impl ToolError {
    /// A bad argument, naming the field.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ToolError::InvalidArgument {
            field: field.into(),
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ToolError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ToolError::InvalidArgument { field, message } => {
                write!(f, "invalid argument `{field}`: {message}")
            }
            ToolError::Catalog(e) => e.fmt(f),
            ToolError::NotFound(message) | ToolError::Failed(message) => f.write_str(message),
        }
    }
}

impl From<CatalogError> for ToolError {
    fn from(e: CatalogError) -> Self {
        ToolError::Catalog(e)
    }
}

/// What a handler returns: the structured result, or the error.
pub type ToolResult = Result<Value, ToolError>;

/// One row of the tool table.
pub struct Tool {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub annotations: Annotations,
    pub input_schema: fn() -> schemars::Schema,
    pub call: for<'a> fn(&'a Ctx, Value) -> BoxFuture<'a, ToolResult>,
}

/// The tool table: every area with its toolset and its tools, in listing order. Static: nothing
/// registers at run time; what a caller sees is this table filtered (see `toolset.rs`).
pub static AREAS: &[(Toolset, &[Tool])] = &[
    (navigation::TOOLSET, navigation::TOOLS),
    (buckets::TOOLSET, buckets::TOOLS),
    (packages::TOOLSET, packages::TOOLS),
    (search::TOOLSET, search::TOOLS),
    (tabulator::TOOLSET, tabulator::TOOLS),
    (admin::TOOLSET, admin::TOOLS),
];

/// Every tool with its toolset, in listing order.
pub fn all() -> impl Iterator<Item = (Toolset, &'static Tool)> {
    AREAS
        .iter()
        .flat_map(|(toolset, tools)| tools.iter().map(move |tool| (*toolset, tool)))
}

/// The toolset of the tool named `name`.
pub fn toolset_of(name: &str) -> Option<Toolset> {
    all()
        .find(|(_, tool)| tool.name == name)
        .map(|(toolset, _)| toolset)
}

/// Looks a tool up by name.
pub fn find(name: &str) -> Option<&'static Tool> {
    all().map(|(_, tool)| tool).find(|tool| tool.name == name)
}

/// The generated schema, tidied as clients expect: no root `title`, `description` (the Rust doc
/// of the argument type) or `$schema` (noise for the
/// model), and always `type: object`.
fn tidy_schema(schema: schemars::Schema) -> Value {
    let mut value = schema.to_value();
    if let Some(object) = value.as_object_mut() {
        object.remove("title");
        object.remove("description");
        object.remove("$schema");
        object.insert("type".into(), json!("object"));
        if let Some(Value::Object(properties)) = object.get_mut("properties") {
            properties.values_mut().for_each(plain_optional);
        }
        // Item types (e.g. the objects of `bucket_objects_put`) get the same treatment.
        if let Some(Value::Object(defs)) = object.get_mut("$defs") {
            for def in defs.values_mut() {
                if let Some(Value::Object(properties)) = def.get_mut("properties") {
                    properties.values_mut().for_each(plain_optional);
                }
            }
        }
    }
    value
}

/// An optional argument is simply not required: `"type": ["string", "null"]` with
/// `"default": null` becomes `"type": "string"`, which every client's schema subset accepts
/// (a null sent anyway still decodes as absent).
fn plain_optional(property: &mut Value) {
    let Some(object) = property.as_object_mut() else {
        return;
    };
    let Some(Value::Array(types)) = object.get("type") else {
        return;
    };
    let kept: Vec<Value> = types.iter().filter(|t| *t != "null").cloned().collect();
    if kept.len() == 1 && kept.len() < types.len() {
        object.insert("type".into(), kept[0].clone());
        if object.get("default") == Some(&Value::Null) {
            object.remove("default");
        }
    }
}

/// One tool as `tools/list` shows it.
pub fn describe(tool: &Tool) -> Value {
    let a = tool.annotations;
    json!({
        "name": tool.name,
        "title": tool.title,
        "description": tool.description,
        "inputSchema": tidy_schema((tool.input_schema)()),
        "annotations": {
            "title": tool.title,
            "readOnlyHint": a.read_only,
            "destructiveHint": a.destructive,
            "idempotentHint": a.idempotent,
            "openWorldHint": a.open_world,
        },
    })
}

/// The `tools/list` result for what `view` shows (and whether the caller is an admin), encoded
/// as JSON. Encoded once per distinct set of visible tools: the table is static, the answer is
/// tens of kilobytes, and clients ask often.
pub fn list_json(view: &ToolView, admin: bool) -> Arc<str> {
    /// Distinct tool sets kept encoded; past this, a list is encoded per request (every
    /// combination of `X-MCP-Tools` is possible, so the map must not grow without bound).
    const KEPT: usize = 64;
    static ENCODED: OnceLock<Mutex<HashMap<u128, Arc<str>>>> = OnceLock::new();
    let visible: Vec<(usize, &'static Tool)> = all()
        .enumerate()
        .filter(|(_, (toolset, tool))| view.shows(*toolset, tool, admin))
        .map(|(index, (_, tool))| (index, tool))
        .collect();
    // At most 128 tools: one bit each (the table has about sixty).
    let mask = visible
        .iter()
        .fold(0u128, |mask, (index, _)| mask | 1u128 << (*index % 128));
    let encoded = ENCODED.get_or_init(Mutex::default);
    if let Some(kept) = encoded.lock().unwrap_or_else(|e| e.into_inner()).get(&mask) {
        return Arc::clone(kept);
    }
    let tools: Vec<&Value> = visible
        .iter()
        .map(|(index, _)| &described()[*index])
        .collect();
    let text: Arc<str> = serde_json::to_string(&json!({ "tools": tools }))
        .unwrap_or_default()
        .into();
    let mut kept = encoded.lock().unwrap_or_else(|e| e.into_inner());
    if kept.len() < KEPT {
        kept.insert(mask, Arc::clone(&text));
    }
    text
}

/// Every tool as `tools/list` shows it, in table order, built once.
fn described() -> &'static [Value] {
    static DESCRIBED: OnceLock<Vec<Value>> = OnceLock::new();
    DESCRIBED.get_or_init(|| all().map(|(_, tool)| describe(tool)).collect())
}

/// The whole `tools/list` result (every tool), for tests and documentation.
pub fn list() -> Value {
    json!({ "tools": described() })
}

/// Decodes the arguments into the handler's type (naming the bad field on failure), runs the
/// handler, and encodes its result: the one adapter behind every row's `call`.
pub fn typed<'a, A, R, F, Fut>(ctx: &'a Ctx, args: Value, handler: F) -> BoxFuture<'a, ToolResult>
where
    A: DeserializeOwned + Send + 'a,
    R: Serialize,
    F: FnOnce(&'a Ctx, A) -> Fut + Send + 'a,
    Fut: Future<Output = Result<R, ToolError>> + Send + 'a,
{
    Box::pin(async move {
        let args = if args.is_null() {
            Value::Object(Map::new())
        } else {
            args
        };
        let decoded: A = serde_path_to_error::deserialize(args).map_err(|e| {
            let path = e.path().to_string();
            let field = if path == "." {
                "arguments".to_string()
            } else {
                path
            };
            ToolError::invalid(field, e.into_inner().to_string())
        })?;
        let result = handler(ctx, decoded).await?;
        serde_json::to_value(result)
            .map_err(|e| ToolError::Failed(format!("could not encode the result: {e}")))
    })
}

/// A tool's answer as MCP's `CallToolResult`: the JSON as text, plus `structuredContent`.
pub fn call_result(result: ToolResult) -> Value {
    match result {
        Ok(value) => {
            let structured = if value.is_object() {
                value
            } else {
                json!({ "result": value })
            };
            let text = serde_json::to_string(&structured).unwrap_or_default();
            json!({ "content": [{ "type": "text", "text": text }], "structuredContent": structured, "isError": false })
        }
        Err(error) => {
            json!({ "content": [{ "type": "text", "text": error.to_string() }], "isError": true })
        }
    }
}
