//! Admin resolvers: users, roles, SSO, the Tabulator open-query switch. Only admins reach
//! them: `Query.admin`, `Query.roles` and `Mutation.admin` refuse everyone else with a
//! `Forbidden` field error, as the registry's `@admin` directive does.

use apollo_compiler::resolvers::{FieldError, ResolveInfo, ResolvedValue};
use serde_json::{Value, json};

use super::{Ctx, Node, invalid_input, json_field, object, operation_error, refuse, text};
use crate::mock::model::users_error::AdminError;
use crate::mock::model::{Model, NewUser, Role, Sso, User, registry_time};
use crate::time::unix_now;

/// A role as the `Role` union shows it.
pub(super) fn role_json(role: &Role) -> Value {
    let typename = if role.managed {
        "ManagedRole"
    } else {
        "UnmanagedRole"
    };
    json!({ "__typename": typename, "id": role.id, "name": role.name, "arn": role.arn })
}

/// A user as `User`.
pub(super) fn user_json(model: &Model, user: &User) -> Value {
    let role = |name: &String| model.role(name).map(role_json);
    json!({
        "__typename": "User",
        "name": user.name, "email": user.email,
        "dateJoined": registry_time(user.date_joined), "lastLogin": registry_time(user.last_login),
        "isActive": user.active, "isAdmin": user.admin, "isSsoOnly": user.sso_only, "isService": user.service,
        "role": user.role.as_ref().and_then(role),
        "extraRoles": user.extra_roles.iter().filter_map(role).collect::<Vec<_>>(),
        "isRoleAssignmentDisabled": user.role_assignment_disabled,
        "isAdminAssignmentDisabled": user.admin_assignment_disabled,
    })
}

fn sso_json(model: &Model, sso: &Sso) -> Value {
    let uploader = model
        .user(&sso.uploader)
        .map(|u| user_json(model, u))
        .unwrap_or(Value::Null);
    json!({ "__typename": "SsoConfig", "text": sso.text, "timestamp": registry_time(sso.timestamp), "uploader": uploader })
}

fn strings(args: &Value, name: &str) -> Vec<String> {
    args.get(name)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_string)
                .collect()
        })
        .unwrap_or_default()
}

fn admin_error(error: AdminError) -> Value {
    match error {
        AdminError::Invalid(path, name, message) => invalid_input(path, name, &message),
        AdminError::Failed(name, message) => operation_error(name, &message),
    }
}

pub(super) fn field<'a, 'm: 'a>(
    ctx: &'a Ctx<'m>,
    node: &Node,
    field: &str,
    args: &Value,
    info: &'a ResolveInfo<'a>,
) -> Result<ResolvedValue<'a>, FieldError> {
    let acting = ctx.caller.name.clone();
    let mut model = ctx.model();
    let value = match (node, field) {
        (Node::AdminQueries, "user") => return Ok(object(ctx, Node::UserAdminQueries)),
        (Node::AdminQueries, "ssoConfig") => model
            .sso
            .as_ref()
            .map(|s| sso_json(&model, s))
            .unwrap_or(Value::Null),
        (Node::AdminQueries, "isDefaultRoleSettingDisabled") => json!(false),
        (Node::AdminQueries, "tabulatorOpenQuery") => json!(model.open_query),
        (Node::UserAdminQueries, "list") => {
            Value::Array(model.users.iter().map(|u| user_json(&model, u)).collect())
        }
        (Node::UserAdminQueries, "get") => model
            .user(text(args, "name"))
            .map(|u| user_json(&model, u))
            .unwrap_or(Value::Null),
        (Node::AdminMutations, "user") => return Ok(object(ctx, Node::UserAdminMutations)),
        (Node::AdminMutations, "setSsoConfig") => set_sso(&mut model, args, &acting),
        (Node::AdminMutations, "setTabulatorOpenQuery") => {
            model.open_query = args
                .get("enabled")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            json!({ "__typename": "TabulatorOpenQueryResult", "tabulatorOpenQuery": model.open_query })
        }
        (Node::AdminMutations, "bucketSetTabulatorTable" | "bucketRenameTabulatorTable") => {
            drop(model);
            return super::mutation::field(ctx, &Node::Mutation, field, args, info);
        }
        (Node::UserAdminMutations, "create") => {
            let input = args.get("input").cloned().unwrap_or(Value::Null);
            let new = NewUser {
                name: text(&input, "name").to_string(),
                email: text(&input, "email").to_string(),
                role: text(&input, "role").to_string(),
                extra_roles: strings(&input, "extraRoles"),
            };
            match model.create_user(new) {
                Ok(name) => model
                    .user(&name)
                    .map(|u| user_json(&model, u))
                    .unwrap_or(Value::Null),
                Err(e) => admin_error(e),
            }
        }
        (Node::UserAdminMutations, "mutate") => {
            let name = text(args, "name");
            if model.user(name).is_none() {
                return Ok(ResolvedValue::null());
            }
            return Ok(object(ctx, Node::MutateUser(name.to_string())));
        }
        (Node::MutateUser(name), _) => mutate_user(&mut model, name, field, args, &acting),
        _ => {
            return Err(refuse(format!(
                "the embedded catalog does not resolve {field} here"
            )));
        }
    };
    drop(model);
    Ok(json_field(ctx, info, value))
}

fn mutate_user(model: &mut Model, name: &str, field: &str, args: &Value, acting: &str) -> Value {
    let outcome = match field {
        "delete" => {
            return match model.delete_user(name, acting) {
                Ok(()) => json!({ "__typename": "Ok", "_": true }),
                Err(e) => admin_error(e),
            };
        }
        "resetPassword" => {
            return match model.reset_password(name) {
                Ok(()) => json!({ "__typename": "Ok", "_": true }),
                Err(e) => admin_error(e),
            };
        }
        "setEmail" => model.set_email(name, text(args, "email")),
        "setAdmin" => model.set_admin(
            name,
            args.get("admin").and_then(Value::as_bool).unwrap_or(false),
            acting,
        ),
        "setActive" => model.set_active(
            name,
            args.get("active").and_then(Value::as_bool).unwrap_or(true),
            acting,
        ),
        "setRole" => {
            let append = args.get("append").and_then(Value::as_bool).unwrap_or(false);
            model.set_role(
                name,
                text(args, "role"),
                &strings(args, "extraRoles"),
                append,
            )
        }
        "addRoles" => model.add_roles(name, &strings(args, "roles")),
        "removeRoles" => model.remove_roles(
            name,
            &strings(args, "roles"),
            args.get("fallback").and_then(Value::as_str),
        ),
        _ => {
            return operation_error(
                "Unsupported",
                &format!("{field} is not supported by the embedded catalog"),
            );
        }
    };
    match outcome {
        Ok(()) => model
            .user(name)
            .map(|u| user_json(model, u))
            .unwrap_or(Value::Null),
        Err(e) => admin_error(e),
    }
}

/// `setSsoConfig(config)`: null removes it; text must read as YAML with a `version`, and every
/// role it names must exist.
fn set_sso(model: &mut Model, args: &Value, acting: &str) -> Value {
    let Some(text) = args.get("config").and_then(Value::as_str) else {
        model.sso = None;
        return Value::Null;
    };
    let opens = text.matches(['[', '{']).count();
    let closes = text.matches([']', '}']).count();
    if opens != closes || !text.contains("version") {
        return invalid_input(
            "config",
            "InvalidConfig",
            "the SSO configuration is not valid YAML with a `version`",
        );
    }
    for line in text.lines() {
        let line = line.trim().trim_start_matches("- ");
        for key in ["default_role:", "role:"] {
            if let Some(role) = line.strip_prefix(key) {
                let role = role.trim().trim_matches(['"', '\'']);
                if !role.is_empty() && model.role(role).is_none() {
                    return invalid_input(
                        "config",
                        "RoleDoesNotExist",
                        &format!("Role {role} does not exist"),
                    );
                }
            }
        }
    }
    let sso = Sso {
        text: text.to_string(),
        timestamp: unix_now(),
        uploader: acting.to_string(),
    };
    let answer = sso_json(model, &sso);
    model.sso = Some(sso);
    answer
}
