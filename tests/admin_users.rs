//! The user administration tools against the recorded catalog: a success snapshot per tool for
//! alice (an admin), bob's refusal on every tool, arguments refused before any catalog call, and
//! the catalog's typed error arms reaching the agent with their field paths.

mod common;

use std::collections::BTreeMap;

use common::*;
use serde_json::{Value, json};

#[test]
fn reads_list_and_get_users() {
    let h = Harness::start();
    let list = call_ok(&h, ALICE, "admin_users_list", json!({}));
    assert_eq!(list["count"], 3);
    let alice = call_ok(&h, ALICE, "admin_user_get", json!({"name": "alice"}));
    assert_eq!(alice["user"]["role"]["type"], "managed");
    let bot = call_ok(
        &h,
        ALICE,
        "admin_user_get",
        json!({"name": " pipeline-bot "}),
    );
    assert_eq!(bot["user"]["role"]["type"], "unmanaged");
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
    let created = call_ok(
        &h,
        ALICE,
        "admin_user_create",
        json!({"name": "carol", "email": "carol@example.com", "role": "ReadQuiltBucket",
               "extra_roles": ["ReadWriteQuiltBucket"]}),
    );
    let deleted = call_ok(&h, ALICE, "admin_user_delete", json!({"name": "carol"}));
    let email = call_ok(
        &h,
        ALICE,
        "admin_user_set_email",
        json!({"name": "bob", "email": "bob@newdomain.example.com"}),
    );
    let admin = call_ok(
        &h,
        ALICE,
        "admin_user_set_admin",
        json!({"name": "bob", "admin": true}),
    );
    let active = call_ok(
        &h,
        ALICE,
        "admin_user_set_active",
        json!({"name": "bob", "active": false}),
    );
    let reset = call_ok(
        &h,
        ALICE,
        "admin_user_reset_password",
        json!({"name": "bob"}),
    );
    assert_eq!(email["user"]["email"], "bob@newdomain.example.com");
    assert_eq!(admin["user"]["is_admin"], true);
    assert_eq!(active["user"]["is_active"], false);
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("admin_user_create__carol", created);
        insta::assert_json_snapshot!("admin_user_delete__carol", deleted);
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
            json!({"name": "carol", "email": "carol@example.com", "role": "ReadQuiltBucket"}),
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
fn a_non_admin_gets_one_clear_refusal_from_every_user_tool() {
    let h = Harness::start();
    let mut refusals = BTreeMap::new();
    for (tool, args) in every_user_tool() {
        let text = call_fails(&h, BOB, tool, args);
        assert!(
            text.starts_with("this needs catalog admin rights"),
            "{tool}: {text}"
        );
        refusals.insert(tool, text);
    }
    let seen = h.mock().requests();
    assert_eq!(seen.len(), refusals.len(), "one catalog call per tool");
    assert!(seen.iter().all(|r| r.user_id == Some(BOB)));
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("admin_users__bob_refused", refusals);
    });
    assert_eq!(h.get("/health").status, 200);
}

#[test]
fn a_rejected_token_says_log_in_and_a_403_names_both_causes() {
    let h = Harness::start();
    let carol = call_fails(&h, CAROL, "admin_users_list", json!({}));
    assert!(carol.contains("401") && carol.contains("log in"), "{carol}");
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
            json!({"name": "", "email": "e@example.com", "role": "ReadQuiltBucket"}),
            "`name`",
        ),
        (
            "admin_user_create",
            json!({"name": "erin", "email": "erin@", "role": "ReadQuiltBucket"}),
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
    assert!(
        h.mock().requests().is_empty(),
        "nothing reached the catalog"
    );
}

#[test]
fn the_catalogs_typed_errors_reach_the_agent_with_their_field_paths() {
    let h = Harness::start();
    let create = |name: &str, email: &str, role: &str| {
        call_fails(
            &h,
            ALICE,
            "admin_user_create",
            json!({"name": name, "email": email, "role": role}),
        )
    };
    let taken = create("alice", "alice2@example.com", "ReadQuiltBucket");
    assert!(
        taken.contains("input.name: User with this name already exists"),
        "{taken}"
    );
    let unknown_role = create("dave", "dave@example.com", "NoSuchRole");
    assert!(
        unknown_role.contains("CreateUser")
            && unknown_role.contains("input.role: Role NoSuchRole does not exist"),
        "{unknown_role}"
    );
    let mail = create("erin", "erin@example.com", "ReadQuiltBucket");
    assert!(
        mail.contains("Could not send the invitation email"),
        "{mail}"
    );
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
            "Email already in use",
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
            "admin_user_set_active",
            json!({"name": "alice", "active": false}),
            "Cannot deactivate yourself",
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
}
