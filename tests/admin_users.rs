//! The user administration tools against the model catalog: a success snapshot per tool for
//! alice (an admin), each write read back, bob's refusal on every tool, arguments refused before
//! any catalog call, and the catalog's typed error arms (provoked by input the catalog refuses)
//! reaching the agent with their field paths.

mod common;

use std::collections::BTreeMap;

use common::*;
use quilt_mcp::mock::{Fault, FaultBody};
use serde_json::{Value, json};

/// The names of the users `admin_users_list` shows alice.
fn user_names(h: &Harness) -> Vec<String> {
    let list = call_ok(h, ALICE, "admin_users_list", json!({}));
    list["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].as_str().unwrap().to_string())
        .collect()
}

/// Role name → type (`managed`/`unmanaged`), as `admin_roles_list` shows alice.
fn role_types(h: &Harness) -> BTreeMap<String, String> {
    let roles = call_ok(h, ALICE, "admin_roles_list", json!({}));
    roles["roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            let name = r["name"].as_str().unwrap().to_string();
            (name, r["type"].as_str().unwrap().to_string())
        })
        .collect()
}

/// A managed role other than `except`, from the role listing.
fn managed_role_except(roles: &BTreeMap<String, String>, except: &str) -> String {
    roles
        .iter()
        .find(|(name, kind)| *kind == "managed" && name.as_str() != except)
        .map(|(name, _)| name.clone())
        .expect("the catalog lists another managed role")
}

/// `admin_user_get` for `name`, as alice; the user it shows.
fn get_user(h: &Harness, name: &str) -> Value {
    call_ok(h, ALICE, "admin_user_get", json!({"name": name}))["user"].clone()
}

/// The user's dates, which the catalog sets to the moment of creation, made stable.
fn without_dates(mut answer: Value) -> Value {
    for field in ["date_joined", "last_login"] {
        let value = &mut answer["user"][field];
        assert!(value.is_string(), "{field}: {value}");
        *value = json!("[now]");
    }
    answer
}

#[test]
fn reads_list_and_get_users() {
    let h = Harness::start();
    let list = call_ok(&h, ALICE, "admin_users_list", json!({}));
    let users = list["users"].as_array().unwrap();
    assert_eq!(list["count"], users.len());
    assert_eq!(list["count"], 5, "the dataset's five users");
    // Every user's roles carry the kind the role listing gives them.
    let roles = role_types(&h);
    for user in users {
        let active = std::iter::once(&user["role"]).filter(|r| !r.is_null());
        for role in active.chain(user["extra_roles"].as_array().unwrap()) {
            let name = role["name"].as_str().unwrap();
            assert_eq!(role["type"], roles[name], "{}: {role}", user["name"]);
        }
    }
    let alice = call_ok(&h, ALICE, "admin_user_get", json!({"name": "alice"}));
    assert_eq!(alice["user"]["role"]["type"], "managed");
    assert_eq!(alice["user"]["is_admin"], true);
    assert_eq!(
        &alice["user"],
        users.iter().find(|u| u["name"] == "alice").unwrap(),
        "get shows what the list shows"
    );
    // A padded name is trimmed; the service account's flags come through.
    let bot = call_ok(
        &h,
        ALICE,
        "admin_user_get",
        json!({"name": " pipeline-bot "}),
    );
    assert_eq!(bot["user"]["name"], "pipeline-bot");
    assert_eq!(bot["user"]["is_service"], true);
    assert_eq!(bot["user"]["is_role_assignment_disabled"], true);
    let bot_role = bot["user"]["role"]["name"].as_str().unwrap();
    assert_eq!(bot["user"]["role"]["type"], roles[bot_role]);
    let unknown = call_fails(&h, ALICE, "admin_user_get", json!({"name": "nobody"}));
    assert!(
        unknown.contains("no user named `nobody`") && unknown.contains("admin_users_list"),
        "{unknown}"
    );
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("admin_users_list__alice", list);
        insta::assert_json_snapshot!("admin_user_get__alice", alice);
    });
}

#[test]
fn writes_answer_the_changed_user() {
    let h = Harness::start();
    let before = user_names(&h);
    let new_name = "erin";
    assert!(!before.iter().any(|n| n == new_name), "{before:?}");
    let roles = role_types(&h);
    let role = managed_role_except(&roles, "");
    let extra = managed_role_except(&roles, &role);
    let created = call_ok(
        &h,
        ALICE,
        "admin_user_create",
        json!({"name": new_name, "email": "erin@example.com", "role": role,
               "extra_roles": [extra]}),
    );
    assert_eq!(created["user"]["name"], new_name);
    assert_eq!(created["user"]["role"]["name"], role.as_str());
    assert_eq!(created["user"]["extra_roles"][0]["name"], extra.as_str());
    assert_eq!(
        get_user(&h, new_name),
        created["user"],
        "the new user is read back"
    );
    assert_eq!(user_names(&h).len(), before.len() + 1);

    let deleted = call_ok(&h, ALICE, "admin_user_delete", json!({"name": new_name}));
    assert_eq!(deleted["name"], new_name);
    let gone = call_fails(&h, ALICE, "admin_user_get", json!({"name": new_name}));
    assert!(gone.contains("no user named `erin`"), "{gone}");
    assert_eq!(user_names(&h), before, "the deletion is seen");

    // The rest act on bob, a user the listing shows.
    assert!(before.iter().any(|n| n == "bob"), "{before:?}");
    let email = call_ok(
        &h,
        ALICE,
        "admin_user_set_email",
        json!({"name": "bob", "email": "bob@newdomain.example.com"}),
    );
    assert_eq!(email["user"]["email"], "bob@newdomain.example.com");
    assert_eq!(get_user(&h, "bob")["email"], "bob@newdomain.example.com");
    let admin = call_ok(
        &h,
        ALICE,
        "admin_user_set_admin",
        json!({"name": "bob", "admin": true}),
    );
    assert_eq!(admin["user"]["is_admin"], true);
    assert_eq!(get_user(&h, "bob")["is_admin"], true);
    let active = call_ok(
        &h,
        ALICE,
        "admin_user_set_active",
        json!({"name": "bob", "active": false}),
    );
    assert_eq!(active["user"]["is_active"], false);
    assert_eq!(get_user(&h, "bob")["is_active"], false);
    let reset = call_ok(
        &h,
        ALICE,
        "admin_user_reset_password",
        json!({"name": "bob"}),
    );
    assert_eq!(reset["name"], "bob");
    assert_eq!(
        get_user(&h, "bob"),
        active["user"],
        "a reset changes no field"
    );
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("admin_user_create__erin", without_dates(created));
        insta::assert_json_snapshot!("admin_user_delete__erin", deleted);
        insta::assert_json_snapshot!("admin_user_set_email__bob", email);
        insta::assert_json_snapshot!("admin_user_set_admin__bob", admin);
        insta::assert_json_snapshot!("admin_user_set_active__bob", active);
        insta::assert_json_snapshot!("admin_user_reset_password__bob", reset);
    });
}

/// One valid call per user tool, as bob would make it.
fn every_user_tool() -> Vec<(&'static str, Value)> {
    vec![
        ("admin_users_list", json!({})),
        ("admin_user_get", json!({"name": "alice"})),
        (
            "admin_user_create",
            json!({"name": "erin", "email": "erin@example.com", "role": "ReadOnly"}),
        ),
        ("admin_user_delete", json!({"name": "carol"})),
        (
            "admin_user_set_email",
            json!({"name": "bob", "email": "bob@example.org"}),
        ),
        (
            "admin_user_set_admin",
            json!({"name": "bob", "admin": true}),
        ),
        (
            "admin_user_set_active",
            json!({"name": "bob", "active": true}),
        ),
        ("admin_user_reset_password", json!({"name": "bob"})),
    ]
}

#[test]
fn a_non_admin_neither_sees_nor_can_call_the_user_tools() {
    let h = Harness::start();
    for (tool, args) in every_user_tool() {
        call_hidden(&h, BOB, tool, args);
    }
    // The one catalog call: bob's admin status, asked once and kept.
    let seen = h.mock().requests();
    let operations: Vec<_> = seen.iter().map(|r| r.operation.as_deref()).collect();
    assert_eq!(operations, [Some("AuthStatus")], "{seen:?}");
    assert!(seen.iter().all(|r| r.user_id == Some(BOB)));
    // Nothing changed: carol is still there, bob is still no admin.
    let carol = get_user(&h, "carol");
    assert_eq!(carol["name"], "carol");
    let bob = get_user(&h, "bob");
    assert_eq!(bob["is_admin"], false);
    assert_eq!(bob["email"], "bob@example.com");
    assert!(!user_names(&h).iter().any(|n| n == "erin"));
    // An admin sees every one of them.
    let alice = listed_tools(&h, ALICE);
    for (tool, _) in every_user_tool() {
        assert!(alice.iter().any(|name| name == tool), "{tool}");
    }
    assert_eq!(h.get("/health").status, 200);
}

#[test]
fn a_rejected_token_says_log_in_and_a_403_names_both_causes() {
    let h = Harness::start();
    let stranger = call_fails(&h, STRANGER, "admin_users_list", json!({}));
    assert!(
        stranger.contains("401") && stranger.contains("log in"),
        "{stranger}"
    );
    let dave = call_fails(&h, DAVE, "admin_users_list", json!({}));
    assert!(
        dave.contains("admin rights") && dave.contains("inactive"),
        "{dave}"
    );
}

#[test]
fn bad_arguments_are_refused_before_any_catalog_call() {
    let h = Harness::start();
    let cases = [
        ("admin_user_get", json!({"name": ""}), "`name`"),
        ("admin_user_get", json!({}), "name"),
        ("admin_user_delete", json!({"name": "  "}), "`name`"),
        ("admin_user_reset_password", json!({"name": ""}), "`name`"),
        ("admin_user_set_admin", json!({"name": ""}), "admin"),
        (
            "admin_user_set_active",
            json!({"name": "bob", "active": "no"}),
            "active",
        ),
        (
            "admin_user_set_email",
            json!({"name": "bob", "email": "bob.example.com"}),
            "`email`",
        ),
        (
            "admin_user_set_email",
            json!({"name": "bob", "email": "bob@example"}),
            "`email`",
        ),
        (
            "admin_user_create",
            json!({"name": "", "email": "e@example.com", "role": "ReadOnly"}),
            "`name`",
        ),
        (
            "admin_user_create",
            json!({"name": "erin", "email": "erin@", "role": "ReadOnly"}),
            "`email`",
        ),
        (
            "admin_user_create",
            json!({"name": "erin", "email": "erin@example.com", "role": " "}),
            "`role`",
        ),
        (
            "admin_user_create",
            json!({"name": "erin", "email": "erin@example.com", "role": "R", "extra_roles": [""]}),
            "`extra_roles[0]`",
        ),
        ("admin_users_list", json!({"quilt_ops": null}), "quilt_ops"),
    ];
    for (tool, args, field) in cases {
        let text = call_fails(&h, ALICE, tool, args.clone());
        assert!(text.contains(field), "{tool} {args}: {text}");
    }
    // The caller's admin status (which decides whether these tools are shown) is the one
    // catalog call; no operation of the tools themselves.
    let seen = h.mock().requests();
    assert!(
        seen.iter()
            .all(|r| r.operation.as_deref() == Some("AuthStatus")),
        "{seen:?}"
    );
}

#[test]
fn the_catalogs_typed_errors_reach_the_agent_with_their_field_paths() {
    let h = Harness::start();
    let names = user_names(&h);
    let roles = role_types(&h);
    let role = managed_role_except(&roles, "");
    let create = |name: &str, email: &str, role: &str| {
        call_fails(
            &h,
            ALICE,
            "admin_user_create",
            json!({"name": name, "email": email, "role": role}),
        )
    };
    // A name the listing shows is taken.
    assert!(names.iter().any(|n| n == "alice"), "{names:?}");
    let taken = create("alice", "alice2@example.com", &role);
    assert!(
        taken.contains("input.name: User with this name already exists"),
        "{taken}"
    );
    // So is an email another user has.
    let bob_email = get_user(&h, "bob")["email"].as_str().unwrap().to_string();
    let email_taken = create("erin", &bob_email, &role);
    assert!(
        email_taken.contains("input.email: User with this email already exists"),
        "{email_taken}"
    );
    // A role the listing does not show does not exist.
    assert!(!roles.contains_key("NoSuchRole"));
    let unknown_role = create("erin", "erin@example.com", "NoSuchRole");
    assert!(
        unknown_role.contains("CreateUser")
            && unknown_role.contains("input.role: Role NoSuchRole does not exist"),
        "{unknown_role}"
    );
    assert!(
        !user_names(&h).iter().any(|n| n == "erin"),
        "no refused create made a user"
    );
    // The catalog's OperationError arm: the invitation email cannot be sent (a catalog failure
    // no input provokes, so the registry's answer is injected).
    h.mock().set_fault(Fault {
        body: FaultBody::Json(
            r#"{"data":{"admin":{"user":{"create":{"__typename":"OperationError","message":"Could not send the invitation email","name":"MailSendError","context":null}}}}}"#
                .into(),
        ),
        path_prefix: Some("/graphql".into()),
        ..Fault::default()
    });
    let mail = create("erin", "erin@example.com", &role);
    h.mock().clear_fault();
    assert!(
        mail.contains("Could not send the invitation email"),
        "{mail}"
    );
    // The service account's flags, read before acting on them.
    let bot = get_user(&h, "pipeline-bot");
    assert_eq!(bot["is_admin_assignment_disabled"], true);
    assert_eq!(bot["is_service"], true);
    let cases = [
        (
            "admin_user_delete",
            json!({"name": "alice"}),
            "Cannot delete yourself",
        ),
        (
            "admin_user_delete",
            json!({"name": "nobody"}),
            "no user named `nobody`",
        ),
        (
            "admin_user_set_email",
            json!({"name": "bob", "email": "alice@example.com"}),
            "alice@example.com is already used by another user",
        ),
        (
            "admin_user_set_email",
            json!({"name": "bob", "email": "bob@exa_mple.com"}),
            "email: Enter a valid email address.",
        ),
        (
            "admin_user_set_email",
            json!({"name": "nobody", "email": "nobody@example.com"}),
            "no user named `nobody`",
        ),
        (
            "admin_user_set_admin",
            json!({"name": "pipeline-bot", "admin": true}),
            "Admin assignment is disabled",
        ),
        (
            "admin_user_set_admin",
            json!({"name": "alice", "admin": false}),
            "You cannot remove your own admin rights",
        ),
        (
            "admin_user_set_active",
            json!({"name": "alice", "active": false}),
            "You cannot deactivate your own account",
        ),
        (
            "admin_user_reset_password",
            json!({"name": "pipeline-bot"}),
            "Service users have no password",
        ),
    ];
    for (tool, args, expected) in cases {
        let text = call_fails(&h, ALICE, tool, args.clone());
        assert!(text.contains(expected), "{tool} {args}: {text}");
    }
    // Nothing refused was done.
    let alice = get_user(&h, "alice");
    assert_eq!(alice["is_admin"], true);
    assert_eq!(alice["is_active"], true);
    assert_eq!(get_user(&h, "bob")["email"], bob_email.as_str());
    assert_eq!(get_user(&h, "pipeline-bot"), bot);
}

#[test]
fn user_and_role_reads_stay_within_the_text_budget() {
    let h = Harness::start();
    let t = token(ALICE);
    let within = |tool: &str, args: Value| {
        let result = h.call_tool(&t, tool, args.clone());
        ok(&result);
        let text = result_text(&result);
        assert!(text.len() <= 16384, "{tool} {args}: {} bytes", text.len());
    };
    within("admin_users_list", json!({}));
    within("admin_roles_list", json!({}));
    for name in user_names(&h) {
        within("admin_user_get", json!({ "name": name }));
    }
    // A stack with more users than fit: the list is cut and pages on.
    let role = role_types(&h).into_keys().next().unwrap();
    for i in 0..60 {
        let name = format!("user{i:02}");
        let email = format!("{name}@example.com");
        let args = json!({"name": name, "email": email, "role": role});
        call_ok(&h, ALICE, "admin_user_create", args);
    }
    let result = h.call_tool(&t, "admin_users_list", json!({}));
    assert!(result_text(&result).len() <= 16384);
    let first = ok(&result);
    assert_eq!(first["truncated"], true, "{first}");
    let mut names: Vec<Value> = first["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["name"].clone())
        .collect();
    let mut next = first["next_offset"].clone();
    while !next.is_null() {
        let page = call_ok(&h, ALICE, "admin_users_list", json!({ "offset": next }));
        names.extend(
            page["users"]
                .as_array()
                .unwrap()
                .iter()
                .map(|u| u["name"].clone()),
        );
        next = page.get("next_offset").cloned().unwrap_or(Value::Null);
    }
    assert_eq!(
        json!(names.len()),
        first["count"],
        "the pages hold every user once"
    );
}
