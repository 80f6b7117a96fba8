//! Administration of stack-wide settings: the SSO configuration and the Tabulator open-query
//! switch. Every tool needs catalog admin rights; the shared pieces are in `admin.rs`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::catalog::queries::{
    GET_OPEN_QUERY_STATUS, GET_SSO_CONFIG, SET_OPEN_QUERY, SET_SSO_CONFIG,
};
use crate::tools::admin::common::{Call, decode, run, success};
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// The SSO configuration as the catalog keeps it.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct SsoConfig {
    /// The configuration text (YAML).
    pub text: String,
    pub timestamp: String,
    /// Who uploaded it.
    pub uploader: Uploader,
}

/// The user who uploaded the SSO configuration.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Uploader {
    pub name: String,
    pub email: String,
}

/// The SSO configuration, or `null` when none is set.
#[derive(Debug, Serialize, JsonSchema)]
pub struct SsoConfigState {
    pub configured: bool,
    pub sso_config: Option<SsoConfig>,
}

/// Reads the SSO configuration (the `admin://config/sso` resource).
pub async fn sso_config(ctx: &Ctx) -> Result<SsoConfigState, ToolError> {
    let admin = run(ctx, GET_SSO_CONFIG, "admin", Call::Read, Value::Null).await?;
    let config = admin.get("ssoConfig").cloned().unwrap_or(Value::Null);
    let sso_config: Option<SsoConfig> = decode(GET_SSO_CONFIG, config)?;
    Ok(SsoConfigState {
        configured: sso_config.is_some(),
        sso_config,
    })
}

/// The configuration text, or an object sent as its JSON text.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(untagged)]
pub enum SsoConfigInput {
    /// The configuration text, as the catalog stores it (YAML).
    Text(String),
    /// An object; sent as its JSON text, which the catalog reads as YAML.
    Object(Map<String, Value>),
}

/// Arguments of `admin_sso_config_set`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminSsoConfigSetArgs {
    /// The whole SSO configuration as the catalog expects it: YAML text with `version`,
    /// `default_role` and `mappings` (from identity-provider claims to roles). It replaces the
    /// current one. A JSON object is accepted too and sent as JSON text.
    pub config: SsoConfigInput,
}

pub const ADMIN_SSO_CONFIG_SET: Tool = Tool {
    name: "admin_sso_config_set",
    title: "Set the SSO configuration",
    description: "Replace the catalog's SSO configuration (how identity-provider claims map to roles) with the given text. Needs catalog admin rights; the catalog's validation errors name the problem.",
    annotations: Annotations::DESTRUCTIVE,
    input_schema: || schemars::schema_for!(AdminSsoConfigSetArgs),
    output_schema: Some(|| schemars::schema_for!(SsoConfigState)),
    call: |ctx, args| typed(ctx, args, admin_sso_config_set),
};

async fn admin_sso_config_set(
    ctx: &Ctx,
    args: AdminSsoConfigSetArgs,
) -> Result<SsoConfigState, ToolError> {
    let text = match args.config {
        SsoConfigInput::Text(text) => text,
        SsoConfigInput::Object(object) => Value::Object(object).to_string(),
    };
    if text.trim().is_empty() {
        return Err(ToolError::invalid(
            "config",
            "must not be empty; admin_sso_config_remove removes the configuration",
        ));
    }
    let variables = json!({ "config": text });
    let admin = run(ctx, SET_SSO_CONFIG, "admin", Call::Write, variables).await?;
    let result = admin.get("setSsoConfig").cloned().unwrap_or(Value::Null);
    success(SET_SSO_CONFIG, &result)?;
    let sso_config: SsoConfig = decode(SET_SSO_CONFIG, result)?;
    Ok(SsoConfigState {
        configured: true,
        sso_config: Some(sso_config),
    })
}

/// `admin_sso_config_remove` takes no arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminSsoConfigRemoveArgs {}

pub const ADMIN_SSO_CONFIG_REMOVE: Tool = Tool {
    name: "admin_sso_config_remove",
    title: "Remove the SSO configuration",
    description: "Remove the catalog's SSO configuration, so SSO logins no longer map claims to roles. Needs catalog admin rights.",
    annotations: Annotations::DESTRUCTIVE,
    input_schema: || schemars::schema_for!(AdminSsoConfigRemoveArgs),
    output_schema: Some(|| schemars::schema_for!(SsoConfigState)),
    call: |ctx, args| typed(ctx, args, admin_sso_config_remove),
};

async fn admin_sso_config_remove(
    ctx: &Ctx,
    _args: AdminSsoConfigRemoveArgs,
) -> Result<SsoConfigState, ToolError> {
    let variables = json!({ "config": null });
    let admin = run(ctx, SET_SSO_CONFIG, "admin", Call::Write, variables).await?;
    // Removing answers `setSsoConfig: null`; an error arm still says why it failed.
    let result = admin.get("setSsoConfig").cloned().unwrap_or(Value::Null);
    success(SET_SSO_CONFIG, &result)?;
    Ok(SsoConfigState {
        configured: false,
        sso_config: None,
    })
}

// ---------------------------------------------------------------------------------------------

/// Whether Tabulator open query is on.
#[derive(Debug, Serialize, JsonSchema)]
pub struct OpenQuery {
    pub open_query_enabled: bool,
}

/// Reads the open-query switch (the `admin://config/tabulator` resource).
pub async fn open_query(ctx: &Ctx) -> Result<OpenQuery, ToolError> {
    let admin = run(ctx, GET_OPEN_QUERY_STATUS, "admin", Call::Read, Value::Null).await?;
    let enabled = admin
        .get("tabulatorOpenQuery")
        .cloned()
        .unwrap_or(Value::Null);
    Ok(OpenQuery {
        open_query_enabled: decode(GET_OPEN_QUERY_STATUS, enabled)?,
    })
}

/// Arguments of `admin_tabulator_open_query_set`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminTabulatorOpenQuerySetArgs {
    /// `true` lets any AWS principal with Athena access query Tabulator tables directly
    /// (access control moves to AWS IAM); `false` keeps queries inside the catalog.
    pub enabled: bool,
}

pub const ADMIN_TABULATOR_OPEN_QUERY_SET: Tool = Tool {
    name: "admin_tabulator_open_query_set",
    title: "Set Tabulator open query",
    description: "Turn Tabulator open query on or off for the whole stack. On, Tabulator tables can be queried from outside the catalog (AWS console, JDBC) under AWS IAM rules. Needs catalog admin rights.",
    annotations: Annotations::DESTRUCTIVE,
    input_schema: || schemars::schema_for!(AdminTabulatorOpenQuerySetArgs),
    output_schema: Some(|| schemars::schema_for!(OpenQuery)),
    call: |ctx, args| typed(ctx, args, admin_tabulator_open_query_set),
};

async fn admin_tabulator_open_query_set(
    ctx: &Ctx,
    args: AdminTabulatorOpenQuerySetArgs,
) -> Result<OpenQuery, ToolError> {
    let variables = json!({ "enabled": args.enabled });
    let admin = run(ctx, SET_OPEN_QUERY, "admin", Call::Write, variables).await?;
    let enabled = admin
        .pointer("/setTabulatorOpenQuery/tabulatorOpenQuery")
        .cloned()
        .unwrap_or(Value::Null);
    Ok(OpenQuery {
        open_query_enabled: decode(SET_OPEN_QUERY, enabled)?,
    })
}
