//! Catalog navigation: links into the catalog's web UI and Quilt+ URIs. These are computed from
//! the arguments and the configured `QUILT_CATALOG_URL`: no catalog call, no placeholder host.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::http::encode_component;
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// Friendly catalog names that upstream accepted, and the URLs they stand for.
const FRIENDLY_CATALOGS: &[(&str, &str)] = &[
    ("demo", "https://demo.quiltdata.com"),
    ("sandbox", "https://sandbox.quiltdata.com"),
    ("open", "https://open.quiltdata.com"),
    ("example", "https://open.quiltdata.com"),
];

/// A bucket name from `s3://bucket/...`, `bucket/...` or `bucket`.
pub fn bucket_name(field: &str, registry: &str) -> Result<String, ToolError> {
    let trimmed = registry.trim();
    let rest = trimmed.strip_prefix("s3://").unwrap_or(trimmed);
    let bucket = rest.split('/').next().unwrap_or_default();
    let valid = (3..=63).contains(&bucket.len())
        && bucket
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || matches!(b, b'-' | b'.'));
    if valid {
        Ok(bucket.to_string())
    } else {
        Err(ToolError::invalid(
            field,
            format!("{registry:?} is not an S3 bucket name (e.g. `s3://my-bucket` or `my-bucket`)"),
        ))
    }
}

/// Checks a package name: `namespace/name`.
pub fn package_name(field: &str, name: &str) -> Result<String, ToolError> {
    let parts: Vec<&str> = name.split('/').collect();
    let ok = parts.len() == 2
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        });
    if ok {
        Ok(name.to_string())
    } else {
        Err(ToolError::invalid(
            field,
            format!("{name:?} is not a package name; expected `namespace/name`"),
        ))
    }
}

/// The catalog's base URL: the caller's `catalog_host` when given, else the configured catalog.
fn catalog_base(ctx: &Ctx, catalog_host: &str) -> String {
    match Some(catalog_host.trim()).filter(|h| !h.is_empty()) {
        Some(host) if host.starts_with("http://") || host.starts_with("https://") => {
            host.trim_end_matches('/').to_string()
        }
        Some(host) => format!("https://{}", host.trim_end_matches('/')),
        None => ctx.state.config.catalog_url.clone(),
    }
}

fn host_of(base: &str) -> String {
    let rest = base.split_once("://").map_or(base, |(_, rest)| rest);
    rest.split('/').next().unwrap_or_default().to_string()
}

/// Encodes each path segment, keeping the `/` between them.
fn encode_path(path: &str) -> String {
    path.split('/')
        .filter(|s| !s.is_empty())
        .map(encode_component)
        .collect::<Vec<_>>()
        .join("/")
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `catalog_url`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogUrlArgs {
    /// The bucket, as `s3://bucket` or `bucket`.
    pub registry: String,
    /// A package (`namespace/name`) for a package view; empty (the default) for a bucket view.
    #[serde(default)]
    pub package_name: String,
    /// A path inside the package or bucket, e.g. `data/2024/`; empty (the default) for the top.
    #[serde(default)]
    pub path: String,
    /// Another catalog host to link to; empty (the default) means this server's catalog.
    #[serde(default)]
    pub catalog_host: String,
}

/// The result of `catalog_url`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CatalogUrl {
    pub catalog_url: String,
    pub view_type: &'static str,
    pub bucket: String,
    pub package_name: Option<String>,
    pub path: String,
    pub catalog_host: String,
}

pub const CATALOG_URL: Tool = Tool {
    name: "catalog_url",
    title: "Catalog web link",
    description: "Build a link to a bucket, a package, or a path inside either, in the Quilt catalog's web UI.",
    annotations: Annotations::LOCAL,
    input_schema: || schemars::schema_for!(CatalogUrlArgs),
    output_schema: Some(|| schemars::schema_for!(CatalogUrl)),
    call: |ctx, args| typed(ctx, args, catalog_url),
};

async fn catalog_url(ctx: &Ctx, args: CatalogUrlArgs) -> Result<CatalogUrl, ToolError> {
    let bucket = bucket_name("registry", &args.registry)?;
    let base = catalog_base(ctx, &args.catalog_host);
    let path = args.path;
    let package = Some(args.package_name).filter(|p| !p.trim().is_empty());
    let (url, view_type) = match &package {
        Some(name) => {
            let name = package_name("package_name", name)?;
            let url = format!(
                "{base}/b/{bucket}/packages/{name}/tree/latest/{}",
                encode_path(&path)
            );
            (url, "package")
        }
        None => (
            format!("{base}/b/{bucket}/tree/{}", encode_path(&path)),
            "bucket",
        ),
    };
    Ok(CatalogUrl {
        catalog_url: url,
        view_type,
        bucket,
        package_name: package,
        path,
        catalog_host: host_of(&base),
    })
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `catalog_uri`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogUriArgs {
    /// The bucket, as `s3://bucket` or `bucket`.
    pub registry: String,
    /// A package, `namespace/name`; empty (the default) names the bucket only.
    #[serde(default)]
    pub package_name: String,
    /// A path inside the package; empty (the default) names the whole package.
    #[serde(default)]
    pub path: String,
    /// A revision's top hash; wins over `tag`. Empty (the default) names no revision.
    #[serde(default)]
    pub top_hash: String,
    /// A revision tag such as `latest`; empty (the default) names no tag.
    #[serde(default)]
    pub tag: String,
    /// The catalog host to name in the URI; empty (the default) means this server's catalog.
    #[serde(default)]
    pub catalog_host: String,
}

/// The result of `catalog_uri`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CatalogUri {
    pub quilt_plus_uri: String,
    pub bucket: String,
    pub package_name: Option<String>,
    pub path: Option<String>,
    pub top_hash: Option<String>,
    pub tag: Option<String>,
    pub catalog_host: String,
}

pub const CATALOG_URI: Tool = Tool {
    name: "catalog_uri",
    title: "Quilt+ URI",
    description: "Build a Quilt+ URI (quilt+s3://bucket#package=ns/name@hash&path=...&catalog=host) that names a bucket, package revision or file.",
    annotations: Annotations::LOCAL,
    input_schema: || schemars::schema_for!(CatalogUriArgs),
    output_schema: Some(|| schemars::schema_for!(CatalogUri)),
    call: |ctx, args| typed(ctx, args, catalog_uri),
};

async fn catalog_uri(ctx: &Ctx, args: CatalogUriArgs) -> Result<CatalogUri, ToolError> {
    let bucket = bucket_name("registry", &args.registry)?;
    let nonblank = |v: String| Some(v.trim().to_string()).filter(|s| !s.is_empty());
    let package = nonblank(args.package_name);
    let (top_hash, tag, path) = (
        nonblank(args.top_hash),
        nonblank(args.tag),
        nonblank(args.path),
    );
    if let Some(hash) = &top_hash
        && !(hash.len() >= 6 && hash.len() <= 64 && hash.bytes().all(|b| b.is_ascii_hexdigit()))
    {
        return Err(ToolError::invalid(
            "top_hash",
            "expected a hexadecimal hash (6 to 64 digits)",
        ));
    }
    let mut fragments = Vec::new();
    if let Some(name) = &package {
        let mut fragment = format!("package={}", package_name("package_name", name)?);
        match (&top_hash, &tag) {
            (Some(hash), _) => fragment.push_str(&format!("@{hash}")),
            (None, Some(tag)) => fragment.push_str(&format!(":{tag}")),
            (None, None) => {}
        }
        fragments.push(fragment);
    } else if top_hash.is_some() || tag.is_some() {
        return Err(ToolError::invalid(
            "package_name",
            "a top_hash or tag needs the package it belongs to",
        ));
    }
    if let Some(path) = &path {
        fragments.push(format!("path={}", encode_path(path)));
    }
    let host = host_of(&catalog_base(ctx, &args.catalog_host));
    fragments.push(format!("catalog={host}"));
    Ok(CatalogUri {
        quilt_plus_uri: format!("quilt+s3://{bucket}#{}", fragments.join("&")),
        bucket,
        package_name: package,
        path,
        top_hash: top_hash.clone(),
        tag: if top_hash.is_some() { None } else { tag },
        catalog_host: host,
    })
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `catalog_configure`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogConfigureArgs {
    /// The catalog URL (or `demo`, `sandbox`, `open`) the agent wants to use.
    pub catalog_url: String,
}

/// The result of `catalog_configure`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CatalogConfigured {
    pub status: &'static str,
    pub catalog_url: String,
    pub message: String,
}

pub const CATALOG_CONFIGURE: Tool = Tool {
    name: "catalog_configure",
    title: "Check the catalog",
    description: "Confirm which Quilt catalog this server works with. The catalog is fixed by the deployment; asking for another one explains how to reach it.",
    annotations: Annotations::LOCAL,
    input_schema: || schemars::schema_for!(CatalogConfigureArgs),
    output_schema: Some(|| schemars::schema_for!(CatalogConfigured)),
    call: |ctx, args| typed(ctx, args, catalog_configure),
};

async fn catalog_configure(
    ctx: &Ctx,
    args: CatalogConfigureArgs,
) -> Result<CatalogConfigured, ToolError> {
    let wanted = args.catalog_url.trim();
    if wanted.is_empty() {
        return Err(ToolError::invalid("catalog_url", "must not be empty"));
    }
    let resolved = match FRIENDLY_CATALOGS
        .iter()
        .find(|(name, _)| name.eq_ignore_ascii_case(wanted))
    {
        Some((_, url)) => url.to_string(),
        None if wanted.contains("://") => wanted.trim_end_matches('/').to_string(),
        None => format!("https://{}", wanted.trim_end_matches('/')),
    };
    let configured = &ctx.state.config.catalog_url;
    if host_of(&resolved).eq_ignore_ascii_case(&host_of(configured)) {
        Ok(CatalogConfigured {
            status: "already_configured",
            catalog_url: configured.clone(),
            message: format!("This server already works with {configured}; every tool uses it."),
        })
    } else {
        Err(ToolError::Failed(format!(
            "this server is deployed for the catalog {configured} and cannot switch to {resolved}; use an MCP server deployed for that catalog"
        )))
    }
}
