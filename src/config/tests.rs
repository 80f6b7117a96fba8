//! The configuration's unit tests: defaults, the one-line errors, and the cross-variable rules.

use super::*;

fn vars(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const BASE: &[(&str, &str)] = &[
    ("QUILT_MULTIUSER_MODE", "true"),
    ("QUILT_CATALOG_URL", "https://quilt.example.com/"),
    ("QUILT_REGISTRY_URL", "https://registry.example.com"),
    ("MCP_JWT_SECRET", "s3cret"),
];

fn with(extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
    let mut all: Vec<_> = vars(BASE)
        .into_iter()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| e == k))
        .collect();
    all.extend(vars(extra));
    Config::from_vars(all)
}

#[test]
fn defaults_follow_the_deployment_reference() {
    let config = with(&[]).unwrap();
    assert_eq!(config.catalog_url, "https://quilt.example.com");
    assert_eq!(
        config.graphql_endpoint,
        "https://registry.example.com/graphql"
    );
    assert_eq!(config.bind.to_string(), "127.0.0.1:8000");
    assert_eq!(config.service_timeout, Duration::from_secs(60));
    assert_eq!(config.browsing_session_ttl, Duration::from_secs(180));
    assert_eq!(config.resource_cache_ttl, Duration::from_secs(300));
    assert_eq!(config.telemetry_level, TelemetryLevel::Standard);
    assert_eq!(config.jwt_secret_refresh, Duration::from_secs(300));
    assert!(config.resources_enabled && config.optimization_enabled && config.telemetry_enabled);
}

#[test]
fn missing_secret_catalog_and_registry_each_name_the_variable() {
    let err = Config::from_vars(vars(&[("QUILT_MULTIUSER_MODE", "true")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid configuration: Multiuser mode requires MCP_JWT_SECRET environment variable"
    );
    let err = Config::from_vars(vars(&[("MCP_JWT_SECRET", "x")])).unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid configuration: Multiuser mode requires QUILT_CATALOG_URL environment variable"
    );
    let err = Config::from_vars(vars(&[
        ("MCP_JWT_SECRET", "x"),
        ("QUILT_CATALOG_URL", "http://c"),
    ]))
    .unwrap_err();
    assert_eq!(
        err.to_string(),
        "Invalid configuration: Multiuser mode requires QUILT_REGISTRY_URL environment variable"
    );
}

#[test]
fn malformed_values_name_variable_value_and_what_is_accepted() {
    for (var, value, accepted) in [
        ("FASTMCP_PORT", "abc", "port number"),
        ("FASTMCP_TRANSPORT", "tcp", "streamable-http"),
        ("QUILT_SERVICE_TIMEOUT", "-3", "whole number"),
        ("QUILT_CATALOG_URL", "ftp://x", "http:// or https://"),
        ("MCP_TELEMETRY_LEVEL", "loud", "minimal"),
        ("QUILT_MCP_RESOURCES_ENABLED", "maybe", "true or false"),
        ("MCP_JWT_SECRET_REFRESH_SECONDS", "0", "whole number ≥ 1"),
        ("MCP_TOOLSETS", "bukets", "unknown toolset `bukets`"),
        ("MCP_READ_ONLY", "maybe", "true or false"),
        ("MCP_CATALOG_MAX_IN_FLIGHT", "0", "whole number ≥ 1"),
        ("MCP_CATALOG_SLOT_WAIT_MS", "soon", "whole number"),
    ] {
        let message = with(&[(var, value)]).unwrap_err().to_string();
        assert!(
            message.contains(var) && message.contains(value) && message.contains(accepted),
            "{message}"
        );
    }
}

#[test]
fn ssm_parameter_needs_a_region_and_env_secret_wins() {
    let no_region = Config::from_vars(vars(&[
        ("MCP_JWT_SECRET_SSM_PARAMETER", "/quilt-mcp/jwt"),
        ("QUILT_CATALOG_URL", "https://c"),
        ("QUILT_REGISTRY_URL", "https://r"),
    ]));
    assert!(no_region.unwrap_err().to_string().contains("AWS_REGION"));
    let both = with(&[
        ("MCP_JWT_SECRET_SSM_PARAMETER", "/p"),
        ("AWS_REGION", "us-east-1"),
    ])
    .unwrap();
    assert!(both.jwt_secret_both_set);
    assert!(matches!(both.jwt_secret, JwtSecretSource::Env(_)));
}

#[test]
fn the_s3_endpoint_follows_the_sdk_variables() {
    assert_eq!(with(&[]).unwrap().s3_endpoint_url, None);
    let general = with(&[("AWS_ENDPOINT_URL", "http://127.0.0.1:9000/")]).unwrap();
    assert_eq!(
        general.s3_endpoint_url.as_deref(),
        Some("http://127.0.0.1:9000")
    );
    let both = with(&[
        ("AWS_ENDPOINT_URL", "http://127.0.0.1:9000"),
        ("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9001"),
    ])
    .unwrap();
    assert_eq!(
        both.s3_endpoint_url.as_deref(),
        Some("http://127.0.0.1:9001")
    );
    let ignored = with(&[
        ("AWS_ENDPOINT_URL_S3", "http://127.0.0.1:9001"),
        ("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true"),
    ])
    .unwrap();
    assert_eq!(ignored.s3_endpoint_url, None);
    let bad = with(&[("AWS_ENDPOINT_URL_S3", "s3.local")]).unwrap_err();
    assert!(bad.to_string().contains("AWS_ENDPOINT_URL_S3"), "{bad}");
}

#[test]
fn secrets_never_print() {
    let config = with(&[]).unwrap();
    assert!(!format!("{config:?}").contains("s3cret"));
}

#[test]
fn blank_values_are_unset_and_values_are_trimmed() {
    let blank = with(&[("FASTMCP_PORT", "  "), ("MCP_LOG_LEVEL", "")]).unwrap();
    assert_eq!(blank.bind.port(), 8000);
    assert_eq!(blank.log_level, LogLevel::Info);
    let padded = with(&[("FASTMCP_PORT", " 9000 "), ("MCP_LOG_LEVEL", " Debug ")]).unwrap();
    assert_eq!(padded.bind.port(), 9000);
    assert_eq!(padded.log_level, LogLevel::Debug);
}

#[test]
fn a_bad_value_is_one_line_with_the_variable_the_value_and_what_is_accepted() {
    let err = with(&[("MCP_RATE_LIMIT_BURST", "0")]).unwrap_err();
    assert_eq!(
        err.to_string(),
        r#"Invalid configuration: MCP_RATE_LIMIT_BURST="0" is not valid; expected a whole number ≥ 1"#
    );
}

#[test]
fn metrics_are_off_the_mcp_port_and_every_minute_by_default() {
    let config = with(&[]).unwrap();
    assert_eq!(config.metrics_bind, None);
    assert_eq!(config.metrics_interval, Duration::from_secs(60));
    let config = with(&[
        ("FASTMCP_HOST", "0.0.0.0"),
        ("MCP_METRICS_PORT", "9100"),
        ("MCP_METRICS_INTERVAL", "5"),
    ])
    .unwrap();
    assert_eq!(config.metrics_bind.unwrap().to_string(), "0.0.0.0:9100");
    assert_eq!(config.metrics_interval, Duration::from_secs(5));
    let err = with(&[("MCP_METRICS_INTERVAL", "0")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("MCP_METRICS_INTERVAL=") && err.contains("\"0\""),
        "{err}"
    );
    let err = with(&[("MCP_METRICS_PORT", "8000")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("MCP_METRICS_PORT=8000 is FASTMCP_PORT"),
        "{err}"
    );
    let err = with(&[("MCP_METRICS_PORT", "nine")])
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("MCP_METRICS_PORT=") && err.contains("port number"),
        "{err}"
    );
}

#[test]
fn the_docs_site_defaults_to_the_public_one_and_is_checked() {
    let config = with(&[]).unwrap();
    assert_eq!(config.docs_url, "https://docs.quilt.bio");
    assert_eq!(config.docs_timeout, Duration::from_secs(5));
    assert_eq!(config.docs_cache_ttl, Duration::from_secs(3600));
    let config = with(&[
        ("QUILT_DOCS_URL", "http://127.0.0.1:9/docs/"),
        ("QUILT_DOCS_TIMEOUT", "2"),
        ("QUILT_DOCS_CACHE_TTL", "0"),
    ])
    .unwrap();
    assert_eq!(config.docs_url, "http://127.0.0.1:9/docs");
    assert_eq!(config.docs_cache_ttl, Duration::ZERO);
    let err = with(&[("QUILT_DOCS_URL", "docs.quilt.bio")]).unwrap_err();
    assert!(err.to_string().contains("QUILT_DOCS_URL="), "{err}");
    let err = with(&[("QUILT_DOCS_TIMEOUT", "0")]).unwrap_err();
    assert!(err.to_string().contains("QUILT_DOCS_TIMEOUT="), "{err}");
}
