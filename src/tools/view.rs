//! Which tools one request sees. The operator's ceiling (`MCP_TOOLSETS`, `MCP_READ_ONLY`) is
//! narrowed by the request's own headers, never widened:
//!
//! - `X-MCP-Toolsets: buckets,search`: only these toolsets;
//! - `X-MCP-Tools: bucket_list,package_browse`: only these tools (with `X-MCP-Toolsets` too,
//!   the tools of those toolsets and these tools, as in github-mcp-server);
//! - `X-MCP-Readonly: true`: only tools that change nothing.
//!
//! The admin toolset is shown only to callers the catalog reports as admins (`methods.rs` asks
//! once per caller and keeps the answer). A hidden tool is absent from `tools/list` and unknown
//! to `tools/call`.

use http::HeaderMap;

use super::{Tool, Toolset, Toolsets};
use crate::config::Config;

/// The request's narrowing headers, checked.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Narrowing {
    toolsets: Option<Toolsets>,
    tools: Option<Vec<&'static str>>,
    read_only: bool,
}

impl Narrowing {
    /// Reads the headers; an unknown toolset or tool name, or a read-only value that is not a
    /// boolean, is an error naming it (a typo must not silently hide tools).
    pub fn from_headers(headers: &HeaderMap) -> Result<Narrowing, String> {
        let text = |name: &str| -> Result<Option<&str>, String> {
            match headers.get(name) {
                None => Ok(None),
                Some(value) => value
                    .to_str()
                    .map(|v| Some(v.trim()))
                    .map_err(|_| format!("{name} must be text")),
            }
        };
        let toolsets = match text("x-mcp-toolsets")? {
            None => None,
            Some(list) => {
                Some(Toolsets::parse(list).map_err(|why| format!("X-MCP-Toolsets: {why}"))?)
            }
        };
        let tools = match text("x-mcp-tools")? {
            None => None,
            Some(list) => Some(tool_names(list)?),
        };
        let read_only = match text("x-mcp-readonly")?
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            None | Some("false" | "0" | "no" | "off" | "") => false,
            Some("true" | "1" | "yes" | "on") => true,
            Some(other) => return Err(format!("X-MCP-Readonly: `{other}` is not true or false")),
        };
        Ok(Narrowing {
            toolsets,
            tools,
            read_only,
        })
    }
}

/// The tool names of an `X-MCP-Tools` list, each checked against the table.
fn tool_names(list: &str) -> Result<Vec<&'static str>, String> {
    let mut names = Vec::new();
    for name in list.split(',').map(str::trim).filter(|n| !n.is_empty()) {
        match super::find(name) {
            Some(tool) => names.push(tool.name),
            None => return Err(format!("X-MCP-Tools: unknown tool `{name}`")),
        }
    }
    Ok(names)
}

/// What one request may see: the ceiling, narrowed, and whether the caller is an admin.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolView {
    /// The operator's toolsets (`MCP_TOOLSETS`).
    ceiling: Toolsets,
    /// Toolsets asked for, within the ceiling (before the admin check).
    toolsets: Toolsets,
    /// With `X-MCP-Tools`: these tools too (or only these, without `X-MCP-Toolsets`).
    tools: Option<Vec<&'static str>>,
    read_only: bool,
}

impl ToolView {
    /// The operator's ceiling narrowed by the request.
    pub fn new(config: &Config, narrowing: &Narrowing) -> ToolView {
        let asked = match (&narrowing.toolsets, &narrowing.tools) {
            (Some(toolsets), _) => *toolsets,
            // Only named tools: no whole toolset.
            (None, Some(_)) => Toolsets::NONE,
            (None, None) => Toolsets::all(),
        };
        ToolView {
            ceiling: config.toolsets,
            toolsets: config.toolsets.intersect(asked),
            tools: narrowing.tools.clone(),
            read_only: config.read_only || narrowing.read_only,
        }
    }

    /// Everything, for callers built outside a request (tests, the stdio of later issues).
    pub fn everything() -> ToolView {
        ToolView {
            ceiling: Toolsets::all(),
            toolsets: Toolsets::all(),
            tools: None,
            read_only: false,
        }
    }

    /// Whether the admin toolset could be shown at all: only then is the caller's admin status
    /// worth a catalog call.
    pub fn may_show_admin(&self) -> bool {
        self.toolsets.contains(Toolset::Admin)
            || self.tools.as_ref().is_some_and(|names| {
                self.ceiling.contains(Toolset::Admin)
                    && names
                        .iter()
                        .any(|name| super::toolset_of(name) == Some(Toolset::Admin))
            })
    }

    /// Whether `tool` of `toolset` is visible, given whether the caller is an admin.
    pub fn shows(&self, toolset: Toolset, tool: &Tool, admin: bool) -> bool {
        if toolset == Toolset::Admin && !admin {
            return false;
        }
        if self.read_only && !tool.annotations.read_only {
            return false;
        }
        // The ceiling bounds named tools too: the operator's MCP_TOOLSETS is never widened.
        let named = self
            .tools
            .as_ref()
            .is_some_and(|names| names.contains(&tool.name));
        self.toolsets.contains(toolset) || (named && self.ceiling.contains(toolset))
    }

    /// The toolsets this view can show anything of, given whether the caller is an admin.
    pub fn toolsets(&self, admin: bool) -> Toolsets {
        let mut shown = Toolsets::NONE;
        for (toolset, tool) in super::all() {
            if self.shows(toolset, tool, admin) {
                shown = shown.with(toolset);
            }
        }
        shown
    }
}

/// What the catalog says of the caller's admin rights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AdminStatus {
    Admin,
    NotAdmin,
    /// The lookup failed (the catalog refused the token, or is down). `tools/list` hides the
    /// admin tools; `tools/call` lets an admin tool run, so the catalog's own error (log in
    /// again, inactive account) reaches the agent instead of a puzzling "unknown tool".
    Unknown,
}

/// The catalog's answer about the caller's admin rights, asked once per caller and kept with
/// the other per-caller reads.
pub async fn admin_status(ctx: &super::Ctx) -> AdminStatus {
    use crate::catalog::queries::AUTH_STATUS;
    use crate::catalog::{CallerKey, CatalogError};
    let key = CallerKey::of(&ctx.caller.token);
    let answer = ctx
        .state
        .admin_status
        .get_or_fetch(key, AUTH_STATUS.name.to_string(), || async {
            let data = ctx
                .state
                .catalog
                .graphql(ctx.on_behalf(), AUTH_STATUS, serde_json::Value::Null)
                .await?;
            Ok::<_, CatalogError>(data)
        })
        .await;
    match answer {
        Ok(data) if data.pointer("/me/isAdmin") == Some(&serde_json::Value::Bool(true)) => {
            AdminStatus::Admin
        }
        Ok(_) => AdminStatus::NotAdmin,
        Err(error) => {
            tracing::debug!(error = %error, "admin status unknown");
            AdminStatus::Unknown
        }
    }
}
