//! Administration: what every admin tool and resource shares: running an admin-only operation,
//! the one mapping of the catalog's refusal to "needs catalog admin rights", the user and role
//! shapes, and argument checks. The tools are in `admin_users.rs`, `admin_roles.rs` and
//! `admin_settings.rs` (SSO and Tabulator settings).

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::catalog::{CatalogError, CatalogErrorKind, Operation};
use crate::tools::{Ctx, ToolError};

/// How an admin operation is sent.
#[derive(Clone, Copy, Debug)]
pub enum Call {
    /// A query: identical reads of one caller may share a call (`MCP_OPTIMIZATION_ENABLED`).
    Read,
    /// A mutation: always its own call.
    Write,
}

/// Runs an admin-only operation for the caller and returns `data.<root>`, where `root` is the
/// operation's one top-level field (`admin`, `roles`, `bucketSetTabulatorTable`, ...).
pub async fn run(
    ctx: &Ctx,
    op: Operation,
    root: &str,
    call: Call,
    variables: Value,
) -> Result<Value, ToolError> {
    let (catalog, who) = (&ctx.state.catalog, ctx.on_behalf());
    let answer = match call {
        Call::Read => catalog.graphql_read(who, op, variables).await,
        Call::Write => catalog.graphql(who, op, variables).await,
    };
    let mut data = answer.map_err(|e| needs_admin(root, e))?;
    Ok(data.get_mut(root).map(Value::take).unwrap_or(Value::Null))
}

/// The one place where the catalog's refusal of an admin operation becomes what the agent reads.
///
/// The registry refuses an `@admin` field to a non-admin with HTTP 200, `data: null` and errors
/// on that root field; the catalog client reports this shape as
/// [`CatalogErrorKind::FieldRefused`]. A 403 is the same refusal at the HTTP level. Only the shape
/// is read, never the wording (the registry's text is not public); its message is passed on.
pub fn needs_admin(root: &str, error: CatalogError) -> ToolError {
    let why = match &error.kind {
        CatalogErrorKind::FieldRefused { field, messages } if field == root => {
            format!("its message: {}", messages.join("; "))
        }
        CatalogErrorKind::Forbidden => "HTTP 403: not an admin, or an inactive account".into(),
        _ => return ToolError::Catalog(error),
    };
    ToolError::Failed(format!(
        "this needs catalog admin rights: the catalog refused {} for the user behind this token ({why}). Ask a catalog admin to do it, or to make this user an admin.",
        error.operation
    ))
}

/// The success arm of a result union, or the catalog's typed error (`InvalidInput` with its
/// field paths, or `OperationError`), passed on word for word.
pub fn success(op: Operation, value: &Value) -> Result<(), ToolError> {
    CatalogError::check_union(op.name, value)?;
    Ok(())
}

pub use crate::tools::decode;

/// Encodes a result as JSON, for the resource readers that share the tools' handlers.
pub fn to_json<T: Serialize>(result: Result<T, ToolError>) -> Result<Value, ToolError> {
    serde_json::to_value(result?)
        .map_err(|e| ToolError::Failed(format!("could not encode the result: {e}")))
}

// ---------------------------------------------------------------------------------------------

/// A catalog role as the tools show it.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub struct Role {
    pub name: String,
    pub id: String,
    pub arn: String,
    // The schema describes the result, so it takes the names written out (`schemars` would
    // otherwise take the names read in).
    #[serde(rename(deserialize = "__typename", serialize = "type"))]
    #[schemars(rename = "type")]
    pub kind: RoleKind,
}

/// Whether the catalog manages a role's policies or only points at an IAM role.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
pub enum RoleKind {
    #[serde(rename(deserialize = "ManagedRole", serialize = "managed"))]
    #[schemars(rename = "managed")]
    Managed,
    #[serde(rename(deserialize = "UnmanagedRole", serialize = "unmanaged"))]
    #[schemars(rename = "unmanaged")]
    Unmanaged,
}

/// A catalog user as the tools show it.
#[derive(Debug, Deserialize, Serialize, JsonSchema)]
#[serde(rename_all(deserialize = "camelCase"))]
#[schemars(rename_all = "snake_case")]
pub struct User {
    pub name: String,
    pub email: String,
    pub is_active: bool,
    pub is_admin: bool,
    pub is_sso_only: bool,
    pub is_service: bool,
    pub is_role_assignment_disabled: bool,
    pub is_admin_assignment_disabled: bool,
    pub date_joined: Option<String>,
    pub last_login: Option<String>,
    /// The active role; `null` when the user has none.
    pub role: Option<Role>,
    #[serde(default)]
    pub extra_roles: Vec<Role>,
}

/// The answer when a named user does not exist.
pub fn no_such_user(name: &str) -> ToolError {
    ToolError::NotFound(format!(
        "no user named `{name}` in the catalog; admin_users_list shows every user"
    ))
}

/// A user name argument, trimmed and not empty.
pub fn user_name(field: &str, value: &str) -> Result<String, ToolError> {
    let name = value.trim();
    if name.is_empty() {
        return Err(ToolError::invalid(
            field,
            "must not be empty; give a user name",
        ));
    }
    Ok(name.to_string())
}

/// A role name argument, trimmed and not empty.
pub fn role_name(field: &str, value: &str) -> Result<String, ToolError> {
    let role = value.trim();
    if role.is_empty() {
        return Err(ToolError::invalid(
            field,
            "must not be empty; admin_roles_list shows the role names",
        ));
    }
    Ok(role.to_string())
}

/// A list of role names: at least one, none empty.
pub fn role_names(field: &str, values: &[String]) -> Result<Vec<String>, ToolError> {
    if values.is_empty() {
        return Err(ToolError::invalid(field, "must name at least one role"));
    }
    let checked = values.iter().enumerate();
    checked
        .map(|(i, role)| role_name(&format!("{field}[{i}]"), role))
        .collect()
}

/// An email address: text, one `@`, then a domain with a dot between two labels; no spaces.
/// The catalog checks further; this catches the obvious mistakes before a round trip.
pub fn email(field: &str, value: &str) -> Result<String, ToolError> {
    let email = value.trim();
    let well_formed = match email.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.split('.').count() >= 2
                && domain.split('.').all(|label| !label.is_empty())
                && !email.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if well_formed {
        Ok(email.to_string())
    } else {
        Err(ToolError::invalid(
            field,
            format!("{value:?} is not an email address (expected e.g. `name@example.com`)"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_need_text_an_at_and_a_dotted_domain() {
        for good in ["a@example.com", " carol@new.example.org ", "x.y+z@a.b"] {
            assert!(email("email", good).is_ok(), "{good}");
        }
        for bad in [
            "",
            "alice",
            "alice@",
            "@example.com",
            "a@b",
            "a@b.",
            "a@.b",
            "a@@b.c",
            "a b@c.d",
        ] {
            let error = email("email", bad).unwrap_err();
            assert!(
                error.to_string().starts_with("invalid argument `email`"),
                "{bad}"
            );
        }
    }

    #[test]
    fn names_and_role_lists_are_checked_field_by_field() {
        assert!(user_name("name", "  ").is_err());
        assert_eq!(user_name("name", " bob ").unwrap(), "bob");
        assert!(role_names("roles", &[]).is_err());
        let error = role_names("roles", &["ReadQuiltBucket".into(), " ".into()]).unwrap_err();
        assert!(error.to_string().contains("`roles[1]`"), "{error}");
    }

    #[test]
    fn only_the_refused_admin_field_or_a_403_means_admin_rights() {
        let refused = |field: &str| {
            let kind = CatalogErrorKind::FieldRefused {
                field: field.into(),
                messages: vec!["Forbidden".into()],
            };
            CatalogError::new("ListUsers", kind)
        };
        let text = needs_admin("admin", refused("admin")).to_string();
        assert!(text.contains("this needs catalog admin rights") && text.contains("Forbidden"));
        let forbidden = CatalogError::new("ListUsers", CatalogErrorKind::Forbidden);
        assert!(
            needs_admin("admin", forbidden)
                .to_string()
                .contains("admin rights")
        );
        let other = needs_admin("admin", refused("bucketConfigs"));
        assert!(matches!(other, ToolError::Catalog(_)));
        let timeout = CatalogError::new("ListUsers", CatalogErrorKind::Timeout(5));
        assert!(matches!(
            needs_admin("admin", timeout),
            ToolError::Catalog(_)
        ));
    }
}
