//! MCP resources: a static table of URIs and a small table of URI templates, each read through
//! the catalog with the caller's token. `resources/read` and the `get_resource` tool both go
//! through [`read`], so they answer the same content. Reads are cached per caller for
//! `QUILT_MCP_RESOURCE_CACHE_TTL` (0 disables), keyed by a hash of the token and the URI in its
//! canonical spelling (a template's value decoded and encoded again, so `%61lice` and `alice`
//! are one entry), never shared across callers; a caller's own successful write, or the
//! registry refusing their token, forgets their cached reads. `auth://status` is never cached:
//! its point is whether the catalog accepts the token now.
//!
//! `tabulator://buckets` and `athena://databases` read Athena with the caller's credentials.
//!
//! Three are what an agent reads once per conversation: `search://syntax` (how to write a
//! search, markdown, `syntax.rs`), `auth://buckets` (the caller's buckets and access,
//! `buckets.rs`) and `auth://status` (identity, active and available roles, `identity.rs`).
//! A resource's content is JSON unless its `mime_type` says otherwise; then it is that text.
//!
//! Left out on purpose: `auth://filesystem/status` (this server keeps no files and
//! touches no filesystem for a caller; all it could report is its own container's paths, which
//! would tell the agent nothing true about its work and would leak deployment details).

mod buckets;
mod identity;
mod syntax;
mod uri;

use serde_json::{Value, json};

use crate::catalog::CallerKey;
use crate::http::BoxFuture;
use crate::tools::admin::common::to_json;
use crate::tools::admin::roles::roles_list;
use crate::tools::admin::settings::{open_query, sso_config};
use crate::tools::admin::users::{user_get, users_list};
use crate::tools::athena::catalogs::athena_databases_overview;
use crate::tools::tabulator::query::tabulator_buckets;
use crate::tools::tabulator::tables::tables_list;
use crate::tools::{Ctx, ToolError};
use buckets::caller_buckets;
use identity::{auth_status, catalog_info};
pub use syntax::SEARCH_SYNTAX;
use syntax::search_syntax;
use uri::capture;

/// JSON content: the read's value, pretty-printed.
pub const JSON: &str = "application/json";
/// Markdown content: the read's value is a string of it.
pub const MARKDOWN: &str = "text/markdown";

/// One row of the resource table.
pub struct Resource {
    pub uri: &'static str,
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// [`JSON`], or [`MARKDOWN`] when the read answers a string of markdown.
    pub mime_type: &'static str,
    /// Read afresh every time, never from the cache.
    pub fresh: bool,
    pub read: for<'a> fn(&'a Ctx) -> BoxFuture<'a, Result<Value, ToolError>>,
}

/// Every resource, in listing order.
pub static RESOURCES: &[Resource] = &[
    Resource {
        uri: "auth://status",
        name: "auth_status",
        title: "Authentication status",
        description: "Who the catalog says the caller is: user name, email, admin flag, active role and the roles they may switch to.",
        mime_type: JSON,
        fresh: true,
        read: |ctx| Box::pin(auth_status(ctx)),
    },
    Resource {
        uri: "auth://buckets",
        name: "auth_buckets",
        title: "Your buckets",
        description: "The buckets the catalog lists for the caller: name, title, description, and the access probes proved (read, list, no access; write is never probed).",
        mime_type: JSON,
        fresh: false,
        read: |ctx| Box::pin(caller_buckets(ctx)),
    },
    Resource {
        uri: "search://syntax",
        name: "search_syntax",
        title: "How to search the catalog",
        description: "How to write search_catalog queries (words, wildcards, OR and NOT, scopes, paging), with examples that work. Markdown; read once per conversation.",
        mime_type: MARKDOWN,
        fresh: false,
        read: |_| Box::pin(search_syntax()),
    },
    Resource {
        uri: "auth://catalog/info",
        name: "catalog_info",
        title: "Catalog information",
        description: "The catalog this server works with: URLs, region, deployment and the caller's identity.",
        mime_type: JSON,
        fresh: false,
        read: |ctx| Box::pin(catalog_info(ctx)),
    },
    Resource {
        uri: "admin://users",
        name: "admin_users",
        title: "Users",
        description: "Every catalog user with status flags and roles (as admin_users_list). Needs catalog admin rights.",
        mime_type: JSON,
        fresh: false,
        read: |ctx| Box::pin(async move { to_json(users_list(ctx, 0).await) }),
    },
    Resource {
        uri: "admin://roles",
        name: "admin_roles",
        title: "Roles",
        description: "Every role of the stack (as admin_roles_list). Needs catalog admin rights.",
        mime_type: JSON,
        fresh: false,
        read: |ctx| Box::pin(async move { to_json(roles_list(ctx).await) }),
    },
    Resource {
        uri: "admin://config/sso",
        name: "admin_sso_config",
        title: "SSO configuration",
        description: "The catalog's SSO configuration text, when and by whom it was uploaded. Needs catalog admin rights.",
        mime_type: JSON,
        fresh: false,
        read: |ctx| Box::pin(async move { to_json(sso_config(ctx).await) }),
    },
    Resource {
        uri: "admin://config/tabulator",
        name: "admin_tabulator_config",
        title: "Tabulator settings",
        description: "Whether Tabulator open query is on for the stack. Needs catalog admin rights.",
        mime_type: JSON,
        fresh: false,
        read: |ctx| Box::pin(async move { to_json(open_query(ctx).await) }),
    },
    Resource {
        uri: "tabulator://buckets",
        name: "tabulator_buckets",
        title: "Buckets queryable with Tabulator",
        description: "The Tabulator data catalog and the buckets (databases) in it the caller can query (as tabulator_list_buckets).",
        mime_type: JSON,
        fresh: false,
        read: |ctx| Box::pin(async move { to_json(tabulator_buckets(ctx).await) }),
    },
    Resource {
        uri: "athena://databases",
        name: "athena_databases",
        title: "Athena catalogs, databases and workgroup",
        description: "The Athena data catalogs and databases the caller can see, the workgroup queries run in, and how to write a query for them.",
        mime_type: JSON,
        fresh: false,
        read: |ctx| Box::pin(async move { to_json(athena_databases_overview(ctx).await) }),
    },
];

/// One row of the template table: a URI with one `{parameter}` segment.
pub struct Template {
    pub uri_template: &'static str,
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    /// Reads the resource for the parameter's (percent-decoded) value.
    pub read: for<'a> fn(&'a Ctx, &'a str) -> BoxFuture<'a, Result<Value, ToolError>>,
}

/// Every resource template, in listing order.
pub static TEMPLATES: &[Template] = &[
    Template {
        uri_template: "admin://users/{name}",
        name: "admin_user",
        title: "One user",
        description: "One catalog user by name (as admin_user_get). Needs catalog admin rights.",
        read: |ctx, name| Box::pin(async move { to_json(user_get(ctx, name).await) }),
    },
    Template {
        uri_template: "tabulator://{bucket}/tables",
        name: "tabulator_tables",
        title: "A bucket's Tabulator tables",
        description: "A bucket's Tabulator tables with their YAML definitions (as tabulator_tables_list).",
        read: |ctx, bucket| {
            Box::pin(async move { to_json(tables_list(ctx, bucket, "bucket", 0).await) })
        },
    },
];

/// What a URI names: a static resource, or a template with its parameter's value.
pub enum Target {
    Static(&'static Resource),
    Templated(&'static Template, String),
}

impl Target {
    /// The URI in one spelling per resource: the cache's key.
    fn canonical_uri(&self) -> String {
        match self {
            Target::Static(resource) => resource.uri.to_string(),
            Target::Templated(template, value) => {
                let (prefix, rest) = template.uri_template.split_once('{').unwrap_or_default();
                let (_, suffix) = rest.split_once('}').unwrap_or_default();
                format!("{prefix}{}{suffix}", crate::http::encode_component(value))
            }
        }
    }

    fn fresh(&self) -> bool {
        matches!(self, Target::Static(resource) if resource.fresh)
    }

    fn read<'a>(&'a self, ctx: &'a Ctx) -> BoxFuture<'a, Result<Value, ToolError>> {
        match self {
            Target::Static(resource) => (resource.read)(ctx),
            Target::Templated(template, value) => (template.read)(ctx, value),
        }
    }
}

/// Finds what `uri` names: static URIs first, then templates.
pub fn resolve(uri: &str) -> Option<Target> {
    if let Some(resource) = RESOURCES.iter().find(|r| r.uri == uri) {
        return Some(Target::Static(resource));
    }
    TEMPLATES
        .iter()
        .find_map(|t| capture(t.uri_template, uri).map(|value| Target::Templated(t, value)))
}

/// Why a resource could not be read.
#[derive(Debug)]
pub enum ReadError {
    /// No resource or template matches the URI (or resources are turned off).
    Unknown,
    /// The read failed; says why.
    Failed(ToolError),
}

/// Reads `uri` for the caller, through the per-caller cache.
pub async fn read(ctx: &Ctx, uri: &str) -> Result<Value, ReadError> {
    let target = resolve(uri)
        .filter(|_| ctx.state.config.resources_enabled)
        .ok_or(ReadError::Unknown)?;
    if target.fresh() {
        return target.read(ctx).await.map_err(ReadError::Failed);
    }
    let caller = CallerKey::of(&ctx.caller.token);
    ctx.state
        .resource_cache
        .get_or_fetch(caller, &target.canonical_uri(), || target.read(ctx))
        .await
        .map_err(ReadError::Failed)
}

/// One resource as `resources/list` shows it.
pub fn describe(resource: &Resource) -> Value {
    json!({
        "uri": resource.uri,
        "name": resource.name,
        "title": resource.title,
        "description": resource.description,
        "mimeType": resource.mime_type,
    })
}

/// One template as `resources/templates/list` shows it.
pub fn describe_template(template: &Template) -> Value {
    json!({
        "uriTemplate": template.uri_template,
        "name": template.name,
        "title": template.title,
        "description": template.description,
        "mimeType": "application/json",
    })
}

/// The content type of what `uri` names ([`JSON`] for templates and unknown URIs).
pub fn mime_type_of(uri: &str) -> &'static str {
    match resolve(uri) {
        Some(Target::Static(resource)) => resource.mime_type,
        _ => JSON,
    }
}

/// A read's value as resource text: markdown as is, JSON pretty-printed.
pub fn as_text(mime_type: &str, value: &Value) -> String {
    match (mime_type, value) {
        (MARKDOWN, Value::String(text)) => text.clone(),
        _ => serde_json::to_string_pretty(value).unwrap_or_default(),
    }
}

/// The static URIs and the URI templates, for "unknown resource" answers.
pub fn known_uris() -> (Vec<&'static str>, Vec<&'static str>) {
    let uris = RESOURCES.iter().map(|r| r.uri).collect();
    let templates = TEMPLATES.iter().map(|t| t.uri_template).collect();
    (uris, templates)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn captured(uri: &str) -> Option<(&'static str, String)> {
        match resolve(uri)? {
            Target::Static(resource) => Some((resource.uri, String::new())),
            Target::Templated(template, value) => Some((template.uri_template, value)),
        }
    }

    #[test]
    fn static_uris_win_then_templates_capture_one_segment() {
        assert_eq!(
            captured("admin://users"),
            Some(("admin://users", String::new()))
        );
        assert_eq!(
            captured("admin://users/alice"),
            Some(("admin://users/{name}", "alice".to_string()))
        );
        assert_eq!(
            captured("admin://users/pipeline%2Dbot"),
            Some(("admin://users/{name}", "pipeline-bot".to_string()))
        );
        assert_eq!(
            captured("tabulator://example-data/tables"),
            Some(("tabulator://{bucket}/tables", "example-data".to_string()))
        );
        for unknown in [
            "admin://users/",
            "admin://users/a/b",
            "admin://users/%zz",
            "admin://users/%20",
            "tabulator:///tables",
            "nope://x",
        ] {
            assert!(resolve(unknown).is_none(), "{unknown}");
        }
    }

    #[test]
    fn spellings_of_one_uri_share_one_canonical_form() {
        let canonical = |uri: &str| resolve(uri).map(|t| t.canonical_uri());
        let alice = Some("admin://users/alice".to_string());
        for spelling in [
            "admin://users/alice",
            "admin://users/%61lice",
            "admin://users/%61%6C%69%63%65",
        ] {
            assert_eq!(canonical(spelling), alice, "{spelling}");
        }
        assert_eq!(
            canonical("admin://users/pipeline%2dbot"),
            Some("admin://users/pipeline-bot".to_string())
        );
        assert_eq!(
            canonical("tabulator://ex%61mple-data/tables"),
            Some("tabulator://example-data/tables".to_string())
        );
        assert_eq!(
            canonical("admin://users"),
            Some("admin://users".to_string())
        );
    }
}
