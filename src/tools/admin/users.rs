//! Administration of users: list, read, create, delete, and change one setting at a time. Every
//! tool needs catalog admin rights; the shared pieces are in `admin.rs`.

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use crate::catalog::Operation;
use crate::catalog::queries::{
    CREATE_USER, DELETE_USER, GET_USER, LIST_USERS, RESET_USER_PASSWORD, SET_USER_ACTIVE,
    SET_USER_ADMIN, SET_USER_EMAIL,
};
use crate::tools::admin::common::{
    Call, User, decode, email, no_such_user, role_name, role_names, run, success, user_name,
};
use crate::tools::budget::{TEXT_BUDGET, take_within};
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// One user, as the user tools answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct UserResult {
    pub user: User,
}

/// Runs a `mutate(name) { <arm>(...) }` mutation and returns what the arm answered, after the
/// typed error arms; an unknown user (`mutate: null`) is a clear not-found.
pub async fn mutate_user(
    ctx: &Ctx,
    op: Operation,
    arm: &str,
    name: &str,
    variables: Value,
) -> Result<Value, ToolError> {
    let admin = run(ctx, op, "admin", Call::Write, variables).await?;
    let mutate = admin
        .pointer("/user/mutate")
        .cloned()
        .unwrap_or(Value::Null);
    if mutate.is_null() {
        return Err(no_such_user(name));
    }
    let result = mutate.get(arm).cloned().unwrap_or(Value::Null);
    success(op, &result)?;
    Ok(result)
}

/// [`mutate_user`] for the arms that answer the changed user.
pub async fn mutate_user_and_read(
    ctx: &Ctx,
    op: Operation,
    arm: &str,
    name: &str,
    variables: Value,
) -> Result<UserResult, ToolError> {
    let user = mutate_user(ctx, op, arm, name, variables).await?;
    Ok(UserResult {
        user: decode(op, user)?,
    })
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `admin_users_list`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminUsersListArgs {
    /// Skip this many users first: the `next_offset` of an answer cut at its 16 KiB budget.
    #[serde(default)]
    pub offset: usize,
}

/// The catalog's users, from `offset` on, as many as fit the text budget.
#[derive(Debug, Serialize, JsonSchema)]
pub struct UsersList {
    pub users: Vec<User>,
    /// How many users the catalog has, shown or not.
    pub count: usize,
    /// True when users were left out to keep the answer within its size budget.
    pub truncated: bool,
    /// The `offset` that lists the users left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_offset: Option<usize>,
}

pub const ADMIN_USERS_LIST: Tool = Tool {
    name: "admin_users_list",
    title: "List users",
    description: "List every catalog user with email, status flags (active, admin, SSO-only, service), active role and extra roles. Needs catalog admin rights.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(AdminUsersListArgs),
    output_schema: Some(|| schemars::schema_for!(UsersList)),
    call: |ctx, args| typed(ctx, args, admin_users_list),
};

async fn admin_users_list(ctx: &Ctx, args: AdminUsersListArgs) -> Result<UsersList, ToolError> {
    users_list(ctx, args.offset).await
}

/// Lists the users from `offset` on (also the `admin://users` resource, from 0). A user with
/// roles is about 500 bytes, so a stack of a few dozen users is listed in pages.
pub async fn users_list(ctx: &Ctx, offset: usize) -> Result<UsersList, ToolError> {
    let admin = run(ctx, LIST_USERS, "admin", Call::Read, Value::Null).await?;
    let list = admin.pointer("/user/list").cloned().unwrap_or(Value::Null);
    let users: Vec<User> = decode(LIST_USERS, list)?;
    let count = users.len();
    let from_offset: Vec<User> = users.into_iter().skip(offset).collect();
    let (users, left_out) = take_within(from_offset, TEXT_BUDGET - 256);
    Ok(UsersList {
        next_offset: (left_out > 0).then_some(offset + users.len()),
        truncated: left_out > 0,
        count,
        users,
    })
}

/// Arguments of the tools that name one user and nothing else.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UserNameArgs {
    /// The user's name (login), e.g. `alice`.
    pub name: String,
}

pub const ADMIN_USER_GET: Tool = Tool {
    name: "admin_user_get",
    title: "Get a user",
    description: "Show one catalog user by name: email, status flags, dates, active role and extra roles. Needs catalog admin rights.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(UserNameArgs),
    output_schema: Some(|| schemars::schema_for!(UserResult)),
    call: |ctx, args| typed(ctx, args, admin_user_get),
};

async fn admin_user_get(ctx: &Ctx, args: UserNameArgs) -> Result<UserResult, ToolError> {
    user_get(ctx, &args.name).await
}

/// Reads one user (also the `admin://users/{name}` resource).
pub async fn user_get(ctx: &Ctx, name: &str) -> Result<UserResult, ToolError> {
    let name = user_name("name", name)?;
    let admin = run(ctx, GET_USER, "admin", Call::Read, json!({ "name": name })).await?;
    match admin.pointer("/user/get").cloned().unwrap_or(Value::Null) {
        Value::Null => Err(no_such_user(&name)),
        user => Ok(UserResult {
            user: decode(GET_USER, user)?,
        }),
    }
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `admin_user_create`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminUserCreateArgs {
    /// The new user's name (login), e.g. `carol`.
    pub name: String,
    /// The new user's email address; the catalog sends the invitation there.
    pub email: String,
    /// The user's active role, by name (admin_roles_list shows them).
    pub role: String,
    /// More roles the user may switch to, by name; none by default.
    #[serde(default)]
    pub extra_roles: Vec<String>,
}

pub const ADMIN_USER_CREATE: Tool = Tool {
    name: "admin_user_create",
    title: "Create a user",
    description: "Create a catalog user with an email, an active role and optional extra roles; the catalog invites them by email. Needs catalog admin rights.",
    annotations: Annotations::WRITE,
    input_schema: || schemars::schema_for!(AdminUserCreateArgs),
    output_schema: Some(|| schemars::schema_for!(UserResult)),
    call: |ctx, args| typed(ctx, args, admin_user_create),
};

async fn admin_user_create(ctx: &Ctx, args: AdminUserCreateArgs) -> Result<UserResult, ToolError> {
    let mut input = Map::new();
    input.insert("name".into(), json!(user_name("name", &args.name)?));
    input.insert("email".into(), json!(email("email", &args.email)?));
    input.insert("role".into(), json!(role_name("role", &args.role)?));
    if !args.extra_roles.is_empty() {
        let extra = role_names("extra_roles", &args.extra_roles)?;
        input.insert("extraRoles".into(), json!(extra));
    }
    let variables = json!({ "input": input });
    let admin = run(ctx, CREATE_USER, "admin", Call::Write, variables).await?;
    let created = admin
        .pointer("/user/create")
        .cloned()
        .unwrap_or(Value::Null);
    success(CREATE_USER, &created)?;
    Ok(UserResult {
        user: decode(CREATE_USER, created)?,
    })
}

/// What `admin_user_delete` and `admin_user_reset_password` answer.
#[derive(Debug, Serialize, JsonSchema)]
pub struct UserDone {
    pub name: String,
    pub message: String,
}

pub const ADMIN_USER_DELETE: Tool = Tool {
    name: "admin_user_delete",
    title: "Delete a user",
    description: "Delete a catalog user for good; their tokens stop working. Needs catalog admin rights. To only block logins, use admin_user_set_active.",
    annotations: Annotations::DESTRUCTIVE,
    input_schema: || schemars::schema_for!(UserNameArgs),
    output_schema: Some(|| schemars::schema_for!(UserDone)),
    call: |ctx, args| typed(ctx, args, admin_user_delete),
};

async fn admin_user_delete(ctx: &Ctx, args: UserNameArgs) -> Result<UserDone, ToolError> {
    let name = user_name("name", &args.name)?;
    let variables = json!({ "name": name });
    mutate_user(ctx, DELETE_USER, "delete", &name, variables).await?;
    Ok(UserDone {
        message: format!("deleted the user `{name}`"),
        name,
    })
}

pub const ADMIN_USER_RESET_PASSWORD: Tool = Tool {
    name: "admin_user_reset_password",
    title: "Reset a user's password",
    description: "Start a password reset for a catalog user: their password stops working and they set a new one through the catalog's reset email. Needs catalog admin rights.",
    // Each call starts a new reset, so repeating it is not a no-op.
    annotations: Annotations {
        idempotent: false,
        ..Annotations::DESTRUCTIVE
    },
    input_schema: || schemars::schema_for!(UserNameArgs),
    output_schema: Some(|| schemars::schema_for!(UserDone)),
    call: |ctx, args| typed(ctx, args, admin_user_reset_password),
};

async fn admin_user_reset_password(ctx: &Ctx, args: UserNameArgs) -> Result<UserDone, ToolError> {
    let name = user_name("name", &args.name)?;
    let variables = json!({ "name": name });
    mutate_user(ctx, RESET_USER_PASSWORD, "resetPassword", &name, variables).await?;
    Ok(UserDone {
        message: format!("started a password reset for `{name}`"),
        name,
    })
}

// ---------------------------------------------------------------------------------------------

/// Arguments of `admin_user_set_email`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminUserSetEmailArgs {
    /// The user's name (login).
    pub name: String,
    /// The new email address.
    pub email: String,
}

pub const ADMIN_USER_SET_EMAIL: Tool = Tool {
    name: "admin_user_set_email",
    title: "Change a user's email",
    description: "Change a catalog user's email address. Needs catalog admin rights.",
    annotations: Annotations::DESTRUCTIVE,
    input_schema: || schemars::schema_for!(AdminUserSetEmailArgs),
    output_schema: Some(|| schemars::schema_for!(UserResult)),
    call: |ctx, args| typed(ctx, args, admin_user_set_email),
};

async fn admin_user_set_email(
    ctx: &Ctx,
    args: AdminUserSetEmailArgs,
) -> Result<UserResult, ToolError> {
    let name = user_name("name", &args.name)?;
    let variables = json!({ "name": name, "email": email("email", &args.email)? });
    mutate_user_and_read(ctx, SET_USER_EMAIL, "setEmail", &name, variables).await
}

/// Arguments of `admin_user_set_admin`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminUserSetAdminArgs {
    /// The user's name (login).
    pub name: String,
    /// `true` makes the user a catalog admin; `false` takes admin rights away.
    pub admin: bool,
}

pub const ADMIN_USER_SET_ADMIN: Tool = Tool {
    name: "admin_user_set_admin",
    title: "Grant or revoke admin",
    description: "Make a catalog user an admin, or take admin rights away. Needs catalog admin rights.",
    annotations: Annotations::DESTRUCTIVE,
    input_schema: || schemars::schema_for!(AdminUserSetAdminArgs),
    output_schema: Some(|| schemars::schema_for!(UserResult)),
    call: |ctx, args| typed(ctx, args, admin_user_set_admin),
};

async fn admin_user_set_admin(
    ctx: &Ctx,
    args: AdminUserSetAdminArgs,
) -> Result<UserResult, ToolError> {
    let name = user_name("name", &args.name)?;
    let variables = json!({ "name": name, "admin": args.admin });
    mutate_user_and_read(ctx, SET_USER_ADMIN, "setAdmin", &name, variables).await
}

/// Arguments of `admin_user_set_active`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct AdminUserSetActiveArgs {
    /// The user's name (login).
    pub name: String,
    /// `false` blocks the user's logins and tokens without deleting them; `true` lets them in again.
    pub active: bool,
}

pub const ADMIN_USER_SET_ACTIVE: Tool = Tool {
    name: "admin_user_set_active",
    title: "Activate or deactivate a user",
    description: "Deactivate a catalog user (their logins and tokens stop working, nothing is deleted) or activate them again. Needs catalog admin rights.",
    annotations: Annotations::DESTRUCTIVE,
    input_schema: || schemars::schema_for!(AdminUserSetActiveArgs),
    output_schema: Some(|| schemars::schema_for!(UserResult)),
    call: |ctx, args| typed(ctx, args, admin_user_set_active),
};

async fn admin_user_set_active(
    ctx: &Ctx,
    args: AdminUserSetActiveArgs,
) -> Result<UserResult, ToolError> {
    let name = user_name("name", &args.name)?;
    let variables = json!({ "name": name, "active": args.active });
    mutate_user_and_read(ctx, SET_USER_ACTIVE, "setActive", &name, variables).await
}
