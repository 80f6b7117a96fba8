//! MCP resources: a static table of URIs, each read through the catalog with the caller's token.
//! Reads are cached per caller for `QUILT_MCP_RESOURCE_CACHE_TTL` (0 disables), keyed by a hash
//! of the token, never shared across callers.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use serde_json::{Value, json};
use tokio::time::Instant;

use crate::catalog::CallerKey;
use crate::catalog::queries::AUTH_STATUS;
use crate::http::BoxFuture;
use crate::tools::{Ctx, ToolError};

/// Past this many entries, expired reads are swept.
const SWEEP_AT: usize = 1_000;

/// One row of the resource table.
pub struct Resource {
    pub uri: &'static str,
    pub name: &'static str,
    pub title: &'static str,
    pub description: &'static str,
    pub read: for<'a> fn(&'a Ctx) -> BoxFuture<'a, Result<Value, ToolError>>,
}

/// Every resource, in listing order.
pub static RESOURCES: &[Resource] = &[
    Resource {
        uri: "auth://status",
        name: "auth_status",
        title: "Authentication status",
        description: "Who the catalog says the caller is: user name, email, admin flag and role.",
        read: |ctx| Box::pin(auth_status(ctx)),
    },
    Resource {
        uri: "auth://catalog/info",
        name: "catalog_info",
        title: "Catalog information",
        description: "The catalog this server works with: URLs, region, deployment and the caller's identity.",
        read: |ctx| Box::pin(catalog_info(ctx)),
    },
];

/// Looks a resource up by URI.
pub fn find(uri: &str) -> Option<&'static Resource> {
    RESOURCES.iter().find(|r| r.uri == uri)
}

/// One resource as `resources/list` shows it.
pub fn describe(resource: &Resource) -> Value {
    json!({
        "uri": resource.uri,
        "name": resource.name,
        "title": resource.title,
        "description": resource.description,
        "mimeType": "application/json",
    })
}

async fn me(ctx: &Ctx) -> Result<Value, ToolError> {
    let data = ctx
        .state
        .catalog
        .graphql_read(ctx.on_behalf(), AUTH_STATUS, Value::Null)
        .await?;
    Ok(data.get("me").cloned().unwrap_or(Value::Null))
}

async fn auth_status(ctx: &Ctx) -> Result<Value, ToolError> {
    let me = me(ctx).await?;
    let catalog_url = &ctx.state.config.catalog_url;
    if me.is_null() {
        return Ok(json!({
            "status": "not_authenticated",
            "catalog_url": catalog_url,
            "message": "The catalog does not recognise this token's user; log in to the catalog again.",
        }));
    }
    Ok(json!({
        "status": "authenticated",
        "catalog_url": catalog_url,
        "user": {
            "id": ctx.caller.claims.id,
            "name": me.get("name"),
            "email": me.get("email"),
            "is_admin": me.get("isAdmin"),
            "role": me.get("role").and_then(|r| r.get("name")),
        },
    }))
}

async fn catalog_info(ctx: &Ctx) -> Result<Value, ToolError> {
    let (config, me) = tokio::join!(ctx.state.catalog.config_json(&ctx.request_id), me(ctx));
    let config = config?;
    let me = me?;
    let text = |key: &str| config.get(key).and_then(Value::as_str).map(str::to_string);
    // The Tabulator data catalog is named after the stack, which the analytics bucket starts with.
    let tabulator = text("analyticsBucket").and_then(|b| {
        b.split_once("-analyticsbucket")
            .map(|(stack, _)| format!("quilt-{stack}-tabulator"))
    });
    let catalog_url = &ctx.state.config.catalog_url;
    Ok(json!({
        "catalog_name": catalog_url.split_once("://").map_or(catalog_url.as_str(), |(_, h)| h),
        "catalog_url": catalog_url,
        "registry_url": ctx.state.config.registry_url,
        "region": text("region"),
        "tabulator_data_catalog": tabulator,
        "is_authenticated": !me.is_null(),
        "user": me.get("name"),
        "deployment": { "mode": "remote", "backend": "graphql", "transport": "http", "multiuser": true },
    }))
}

/// A resource read and when it was made.
type CachedRead = (Instant, Value);

/// Per-caller cache of resource reads.
#[derive(Debug)]
pub struct ResourceCache {
    ttl: Duration,
    // A std Mutex: held only for a lookup or an insert.
    entries: Mutex<HashMap<(CallerKey, &'static str), CachedRead>>,
}

impl ResourceCache {
    /// Keeps reads for `ttl`; zero keeps nothing.
    pub fn new(ttl: Duration) -> Self {
        ResourceCache {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Reads `resource` for the caller, from the cache when fresh. Failures are not kept.
    pub async fn read(&self, ctx: &Ctx, resource: &'static Resource) -> Result<Value, ToolError> {
        if self.ttl.is_zero() {
            return (resource.read)(ctx).await;
        }
        let key = (CallerKey::of(&ctx.caller.token), resource.uri);
        {
            let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((at, value)) = entries.get(&key).filter(|(at, _)| at.elapsed() < self.ttl) {
                let _ = at;
                return Ok(value.clone());
            }
        }
        let value = (resource.read)(ctx).await?;
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= SWEEP_AT {
            let ttl = self.ttl;
            entries.retain(|_, (at, _)| at.elapsed() < ttl);
        }
        entries.insert(key, (Instant::now(), value.clone()));
        Ok(value)
    }
}
