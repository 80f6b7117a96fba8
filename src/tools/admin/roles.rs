//! Administration of roles: the stack's roles, and which of them each user holds. Every tool
//! needs catalog admin rights; the shared pieces are in `admin.rs`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::catalog::queries::{ADD_USER_ROLES, LIST_ROLES, REMOVE_USER_ROLES, SET_USER_ROLE};
use crate::tools::admin::common::{Call, Role, decode, role_name, role_names, run, user_name};
use crate::tools::admin::users::{UserResult, mutate_user_and_read};
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// `admin_roles_list` takes no arguments.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminRolesListArgs {}

/// Every role of the stack.
#[derive(Debug, Serialize, JsonSchema)]
pub struct RolesList {
    pub roles: Vec<Role>,
    pub count: usize,
}

pub const ADMIN_ROLES_LIST: Tool = Tool {
    name: "admin_roles_list",
    title: "List roles",
    description: "List every role of the stack with its id, IAM ARN and whether the catalog manages its policies. Needs catalog admin rights.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(AdminRolesListArgs),
    output_schema: Some(|| schemars::schema_for!(RolesList)),
    call: |ctx, args| typed(ctx, args, admin_roles_list),
};

async fn admin_roles_list(ctx: &Ctx, _args: AdminRolesListArgs) -> Result<RolesList, ToolError> {
    roles_list(ctx).await
}

/// Lists the roles (also the `admin://roles` resource).
pub async fn roles_list(ctx: &Ctx) -> Result<RolesList, ToolError> {
    let roles = run(ctx, LIST_ROLES, "roles", Call::Read, Value::Null).await?;
    let roles: Vec<Role> = decode(LIST_ROLES, roles)?;
    Ok(RolesList {
        count: roles.len(),
        roles,
    })
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `admin_user_set_role`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminUserSetRoleArgs {
    /// The user's name (login).
    pub name: String,
    /// The role that becomes the user's active role, by name.
    pub role: String,
    /// The extra roles the user may switch to, by name. With `append` false (the default) they
    /// replace the current ones, so leaving this out (none) clears them.
    #[serde(default)]
    pub extra_roles: Vec<String>,
    /// `true` adds `extra_roles` to the user's current extra roles; `false` (the default)
    /// replaces them.
    #[serde(default)]
    pub append: bool,
}

pub const ADMIN_USER_SET_ROLE: Tool = Tool {
    name: "admin_user_set_role",
    title: "Set a user's roles",
    description: "Set a catalog user's active role and extra roles, replacing the extra roles unless `append` is true. Needs catalog admin rights.",
    annotations: Annotations::DESTRUCTIVE,
    input_schema: || schemars::schema_for!(AdminUserSetRoleArgs),
    output_schema: Some(|| schemars::schema_for!(UserResult)),
    call: |ctx, args| typed(ctx, args, admin_user_set_role),
};

async fn admin_user_set_role(
    ctx: &Ctx,
    args: AdminUserSetRoleArgs,
) -> Result<UserResult, ToolError> {
    let name = user_name("name", &args.name)?;
    let mut variables = Map::new();
    variables.insert("name".into(), json!(name));
    variables.insert("role".into(), json!(role_name("role", &args.role)?));
    // Always sent, empty too: the catalog reads a missing list as an empty one anyway.
    let checked: Result<Vec<String>, ToolError> = (args.extra_roles.iter().enumerate())
        .map(|(i, role)| role_name(&format!("extra_roles[{i}]"), role))
        .collect();
    variables.insert("extraRoles".into(), json!(checked?));
    variables.insert("append".into(), json!(args.append));
    let variables = Value::Object(variables);
    mutate_user_and_read(ctx, SET_USER_ROLE, "setRole", &name, variables).await
}

/// Arguments of `admin_user_add_roles`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminUserAddRolesArgs {
    /// The user's name (login).
    pub name: String,
    /// The roles to add to the user's extra roles, by name; at least one.
    pub roles: Vec<String>,
}

pub const ADMIN_USER_ADD_ROLES: Tool = Tool {
    name: "admin_user_add_roles",
    title: "Add roles to a user",
    description: "Add roles to a catalog user's extra roles (the roles they may switch to); the active role stays. Needs catalog admin rights.",
    annotations: Annotations::WRITE_IDEMPOTENT,
    input_schema: || schemars::schema_for!(AdminUserAddRolesArgs),
    output_schema: Some(|| schemars::schema_for!(UserResult)),
    call: |ctx, args| typed(ctx, args, admin_user_add_roles),
};

async fn admin_user_add_roles(
    ctx: &Ctx,
    args: AdminUserAddRolesArgs,
) -> Result<UserResult, ToolError> {
    let name = user_name("name", &args.name)?;
    let variables = json!({ "name": name, "roles": role_names("roles", &args.roles)? });
    mutate_user_and_read(ctx, ADD_USER_ROLES, "addRoles", &name, variables).await
}

/// Arguments of `admin_user_remove_roles`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminUserRemoveRolesArgs {
    /// The user's name (login).
    pub name: String,
    /// The roles to take away, by name; at least one.
    pub roles: Vec<String>,
    /// The role that becomes active if the active role is among those removed; empty (the
    /// default) names none, and removing the active role then fails.
    #[serde(default)]
    pub fallback: String,
}

pub const ADMIN_USER_REMOVE_ROLES: Tool = Tool {
    name: "admin_user_remove_roles",
    title: "Remove roles from a user",
    description: "Take roles away from a catalog user. Removing the active role needs a `fallback` role to become active instead. Needs catalog admin rights.",
    annotations: Annotations::DESTRUCTIVE,
    input_schema: || schemars::schema_for!(AdminUserRemoveRolesArgs),
    output_schema: Some(|| schemars::schema_for!(UserResult)),
    call: |ctx, args| typed(ctx, args, admin_user_remove_roles),
};

async fn admin_user_remove_roles(
    ctx: &Ctx,
    args: AdminUserRemoveRolesArgs,
) -> Result<UserResult, ToolError> {
    let name = user_name("name", &args.name)?;
    let mut variables = Map::new();
    variables.insert("name".into(), json!(name));
    variables.insert("roles".into(), json!(role_names("roles", &args.roles)?));
    // Empty is the default (no fallback); blank text is a mistake worth naming.
    if !args.fallback.is_empty() {
        let fallback = role_name("fallback", &args.fallback)?;
        variables.insert("fallback".into(), json!(fallback));
    }
    let variables = Value::Object(variables);
    mutate_user_and_read(ctx, REMOVE_USER_ROLES, "removeRoles", &name, variables).await
}
