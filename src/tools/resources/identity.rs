//! The caller's identity: `auth://status` (who the catalog says the caller is, their active
//! role and the roles they may switch to) and `auth://catalog/info`.

use serde_json::{Value, json};

use crate::catalog::queries::AUTH_STATUS;
use crate::tools::{Ctx, ToolError};

async fn me(ctx: &Ctx) -> Result<Value, ToolError> {
    let data = ctx
        .state
        .catalog
        .graphql_read(ctx.on_behalf(), AUTH_STATUS, Value::Null)
        .await?;
    Ok(data.get("me").cloned().unwrap_or(Value::Null))
}

/// As [`me`], asked of the registry now: never from the read cache, since the point of
/// `auth://status` is whether the token is accepted at this moment (it may have been revoked).
async fn me_now(ctx: &Ctx) -> Result<Value, ToolError> {
    let data = ctx
        .state
        .catalog
        .graphql(ctx.on_behalf(), AUTH_STATUS, Value::Null)
        .await?;
    Ok(data.get("me").cloned().unwrap_or(Value::Null))
}

pub(super) async fn auth_status(ctx: &Ctx) -> Result<Value, ToolError> {
    let me = me_now(ctx).await?;
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
            // What the caller may switch to in the catalog (the active one among them).
            "available_roles": role_names(&me),
        },
    }))
}

pub(super) async fn catalog_info(ctx: &Ctx) -> Result<Value, ToolError> {
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

/// The names of the roles the caller may switch to, as the catalog lists them.
fn role_names(me: &Value) -> Vec<&str> {
    me.get("roles")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|role| role.get("name").and_then(Value::as_str))
        .collect()
}
