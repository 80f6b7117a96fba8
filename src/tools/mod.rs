//! The tool table. Each row is a name, title, description, annotations, an argument type (the
//! JSON Schema comes from the same type that decodes the arguments) and an async handler.
//! `tools/list` is generated from [`AREAS`] alone, in table order; nothing registers at run time.

pub mod admin;
pub mod athena;
pub mod buckets;
pub mod budget;
pub mod navigation;
pub mod packages;
pub mod resources;
mod schema;
pub mod search;
pub mod tabulator;
pub mod view;
pub mod viz;

pub use crate::tool_error::ToolError;
pub use crate::toolset::{Toolset, Toolsets};
pub use view::{Narrowing, ToolView};

use std::collections::HashMap;
use std::future::Future;
use std::sync::{Arc, Mutex, OnceLock};

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value, json};

use crate::catalog::{OnBehalf, Operation};
use crate::http::BoxFuture;
use crate::identity::{Caller, RequestId};
use crate::state::AppState;

/// Everything a method handler or tool may know about the request it serves: the verified
/// caller, the request id, the shared state and the tools this request may see.
#[derive(Clone, Debug)]
pub struct RequestContext {
    pub caller: Caller,
    pub request_id: RequestId,
    pub state: Arc<AppState>,
    /// The operator's ceiling narrowed by the request's headers.
    pub view: ToolView,
}

/// The context a tool runs in.
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

/// What a handler returns: the structured result, or the error.
pub type ToolResult = Result<Value, ToolError>;

/// One row of the tool table.
pub struct Tool {
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub annotations: Annotations,
    pub input_schema: fn() -> schemars::Schema,
    /// The JSON Schema of `structuredContent` on success, generated from the result type.
    pub output_schema: Option<fn() -> schemars::Schema>,
    pub call: for<'a> fn(&'a Ctx, Value) -> BoxFuture<'a, ToolResult>,
}

/// The tool table: every area with its toolset and its tools, in listing order. Static: nothing
/// registers at run time; what a caller sees is this table filtered (see `toolset.rs`).
pub static AREAS: &[(Toolset, &[Tool])] = &[
    (navigation::TOOLSET, navigation::TOOLS),
    (buckets::TOOLSET, buckets::TOOLS),
    (packages::TOOLSET, packages::TOOLS),
    (search::TOOLSET, search::TOOLS),
    (athena::TOOLSET, athena::TOOLS),
    (tabulator::TOOLSET, tabulator::TOOLS),
    (viz::TOOLSET, viz::TOOLS),
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

/// One tool as `tools/list` shows it.
pub fn describe(tool: &Tool) -> Value {
    let a = tool.annotations;
    let mut described = json!({
        "name": tool.name,
        "title": tool.title,
        "description": tool.description,
        "inputSchema": schema::input((tool.input_schema)()),
        "annotations": {
            "title": tool.title,
            "readOnlyHint": a.read_only,
            "destructiveHint": a.destructive,
            "idempotentHint": a.idempotent,
            "openWorldHint": a.open_world,
        },
    });
    if let Some(output_schema) = tool.output_schema {
        described["outputSchema"] = schema::output(output_schema());
    }
    described
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
            argument_error(&path, &e.into_inner().to_string())
        })?;
        let result = handler(ctx, decoded).await?;
        serde_json::to_value(result)
            .map_err(|e| ToolError::Failed(format!("could not encode the result: {e}")))
    })
}

/// The error for arguments that do not decode, naming the field: serde names a missing or
/// unknown field only in its message, at the path of the object that holds it.
fn argument_error(path: &str, message: &str) -> ToolError {
    let inside = |name: &str| match path {
        "." => name.to_string(),
        _ => format!("{path}.{name}"),
    };
    let named = |prefix: &str| {
        message
            .strip_prefix(prefix)
            .and_then(|rest| rest.split('`').next())
            .map(inside)
    };
    if let Some(field) = named("missing field `") {
        let message = format!("{field} is required");
        return ToolError::invalid(field, message);
    }
    if message.starts_with("unknown field `") {
        // Here the path already ends at the unknown key.
        let field = named("unknown field `").filter(|_| path == ".");
        let field = field.unwrap_or_else(|| path.to_string());
        return ToolError::invalid(field, message.replace("unknown field", "not an argument:"));
    }
    let field = if path == "." { "arguments" } else { path };
    ToolError::invalid(field, message)
}

/// Decodes a catalog answer into the operation's type; a shape we do not expect is said plainly.
pub fn decode<T: DeserializeOwned>(op: Operation, value: Value) -> Result<T, ToolError> {
    serde_json::from_value(value).map_err(|e| {
        ToolError::Failed(format!(
            "unexpected answer from the catalog to {}: {e}",
            op.name
        ))
    })
}

/// Where a result type keeps images to send as MCP `image` content blocks: [`call_result`]
/// moves them out of `structuredContent` (the field is `#[schemars(skip)]`, so the output
/// schema never shows it), and a client that shows images shows them.
pub const IMAGES_KEY: &str = "_images";

/// One image for an MCP `image` content block.
#[derive(Clone, Debug, Serialize)]
pub struct ImageContent {
    /// Standard base64.
    pub data: String,
    #[serde(rename = "mimeType")]
    pub mime_type: String,
}

impl ImageContent {
    pub fn png(bytes: &[u8]) -> ImageContent {
        use base64::Engine;
        ImageContent {
            data: base64::engine::general_purpose::STANDARD.encode(bytes),
            mime_type: "image/png".into(),
        }
    }
}

/// Where a result type keeps other content blocks (embedded resources, resource links):
/// [`call_result`] moves them out of `structuredContent` after the images, as it does those.
pub const CONTENT_KEY: &str = "_content";

/// A content block other than text or image, as MCP's `CallToolResult.content` holds it. Both
/// protocol eras (2025-11-25 and 2026-07-28) know `resource` (EmbeddedResource) and
/// `resource_link` (ResourceLink, since 2025-06-18).
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    /// An embedded resource: the bytes themselves, base64 in `blob`.
    Resource { resource: BlobResource },
    /// A link a client may fetch or show; here an HTTPS download link.
    ResourceLink {
        uri: String,
        name: String,
        #[serde(rename = "mimeType", skip_serializing_if = "Option::is_none")]
        mime_type: Option<String>,
        #[serde(skip_serializing_if = "Option::is_none")]
        size: Option<u64>,
    },
}

/// MCP's `BlobResourceContents`.
#[derive(Clone, Debug, Serialize)]
pub struct BlobResource {
    pub uri: String,
    #[serde(rename = "mimeType")]
    pub mime_type: String,
    /// Standard base64.
    pub blob: String,
}

impl ContentBlock {
    /// An embedded resource holding `bytes`, named by `uri`.
    pub fn blob(uri: String, mime_type: String, bytes: &[u8]) -> ContentBlock {
        use base64::Engine;
        ContentBlock::Resource {
            resource: BlobResource {
                uri,
                mime_type,
                blob: base64::engine::general_purpose::STANDARD.encode(bytes),
            },
        }
    }
}

/// A tool's answer as MCP's `CallToolResult`: the JSON as text, plus `structuredContent`, plus
/// an `image` block for each image the result carries under [`IMAGES_KEY`] and the blocks it
/// carries under [`CONTENT_KEY`].
pub fn call_result(result: ToolResult) -> Value {
    match result {
        Ok(value) => {
            let mut structured = if value.is_object() {
                value
            } else {
                json!({ "result": value })
            };
            let images = structured
                .as_object_mut()
                .and_then(|object| object.remove(IMAGES_KEY));
            let others = structured
                .as_object_mut()
                .and_then(|object| object.remove(CONTENT_KEY));
            let text = serde_json::to_string(&structured).unwrap_or_default();
            let mut content = vec![json!({ "type": "text", "text": text })];
            if let Some(Value::Array(images)) = images {
                content.extend(images.into_iter().map(|mut image| {
                    image["type"] = json!("image");
                    image
                }));
            }
            // Already typed blocks (`ContentBlock` serializes its own `type`).
            if let Some(Value::Array(others)) = others {
                content.extend(others);
            }
            json!({ "content": content, "structuredContent": structured, "isError": false })
        }
        Err(error) => {
            json!({ "content": [{ "type": "text", "text": error.to_string() }], "isError": true })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_leave_the_structured_result_for_image_blocks() {
        let image = ImageContent::png(b"png");
        let result = call_result(Ok(json!({ "count": 1, IMAGES_KEY: [image] })));
        assert_eq!(result["structuredContent"], json!({ "count": 1 }));
        assert_eq!(result["content"][0]["text"], r#"{"count":1}"#);
        assert_eq!(
            result["content"][1],
            json!({ "type": "image", "data": "cG5n", "mimeType": "image/png" })
        );
        let blob = ContentBlock::blob("s3://b/k.bin".into(), "application/gzip".into(), b"gz");
        let with_blob = call_result(Ok(json!({ "n": 1, CONTENT_KEY: [blob] })));
        assert_eq!(with_blob["structuredContent"], json!({ "n": 1 }));
        assert_eq!(
            with_blob["content"][1],
            json!({ "type": "resource", "resource": {
                "uri": "s3://b/k.bin", "mimeType": "application/gzip", "blob": "Z3o=" } })
        );
        let plain = call_result(Ok(json!({ "count": 1 })));
        assert_eq!(plain["content"].as_array().map(Vec::len), Some(1));
    }

    #[test]
    fn argument_errors_name_the_field() {
        let missing = argument_error(".", "missing field `package_name`");
        assert_eq!(
            missing.to_string(),
            "invalid argument `package_name`: package_name is required"
        );
        let nested = argument_error("objects[1]", "missing field `key`");
        assert!(nested.to_string().contains("`objects[1].key`"), "{nested}");
        let unknown = argument_error("pakage", "unknown field `pakage`, expected `package_name`");
        assert_eq!(
            unknown.to_string(),
            "invalid argument `pakage`: not an argument: `pakage`, expected `package_name`"
        );
        let typed = argument_error("max_keys", "invalid type: string \"x\", expected u32");
        assert!(typed.to_string().starts_with("invalid argument `max_keys`"));
    }
}
