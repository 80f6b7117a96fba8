//! Roles, SSO and the Tabulator open-query switch against the recorded catalog: success
//! snapshots for alice (an admin), bob's refusal on every tool, arguments refused before any
//! catalog call, and the catalog's typed error arms reaching the agent with their field paths.

mod common;

use std::collections::BTreeMap;

use common::*;
use serde_json::{Value, json};

#[test]
fn roles_are_listed_and_assigned() {
    let h = Harness::start();
    let roles = call_ok(&h, ALICE, "admin_roles_list", json!({}));
    assert_eq!(roles["count"], 3);
    let set = call_ok(
        &h,
        ALICE,
        "admin_user_set_role",
        json!({"name": "bob", "role": "ReadWriteQuiltBucket", "extra_roles": ["ReadQuiltBucket"]}),
    );
    let added = call_ok(
        &h,
        ALICE,
        "admin_user_add_roles",
        json!({"name": "bob", "roles": ["ReadWriteQuiltBucket"]}),
    );
    let removed = call_ok(
        &h,
        ALICE,
        "admin_user_remove_roles",
        json!({"name": "alice", "roles": ["ReadQuiltBucket"]}),
    );
    let fallback = call_ok(
        &h,
        ALICE,
        "admin_user_remove_roles",
        json!({"name": "bob", "roles": ["ReadQuiltBucket"], "fallback": "ReadWriteQuiltBucket"}),
    );
    assert_eq!(fallback["user"]["role"]["name"], "ReadWriteQuiltBucket");
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("admin_roles_list__alice", roles);
        insta::assert_json_snapshot!("admin_user_set_role__bob", set);
        insta::assert_json_snapshot!("admin_user_add_roles__bob", added);
        insta::assert_json_snapshot!("admin_user_remove_roles__alice", removed);
    });
}

#[test]
fn sso_configuration_is_replaced_then_removed() {
    let h = Harness::start();
    let text = "version: \"1.0\"\ndefault_role: ReadQuiltBucket\nmappings: []\n";
    let set = call_ok(&h, ALICE, "admin_sso_config_set", json!({"config": text}));
    assert_eq!(set["sso_config"]["text"], text);
    // An object (upstream's form) is sent as its JSON text.
    let object = json!({"default_role": "ReadQuiltBucket", "mappings": [], "version": "1.0"});
    let from_object = call_ok(&h, ALICE, "admin_sso_config_set", json!({"config": object}));
    assert_eq!(
        from_object["sso_config"]["text"],
        r#"{"default_role":"ReadQuiltBucket","mappings":[],"version":"1.0"}"#
    );
    let before = h.rpc(
        &token(ALICE),
        "resources/read",
        json!({"uri": "admin://config/sso"}),
    );
    assert!(
        before["result"]["contents"][0]["text"]
            .as_str()
            .unwrap()
            .contains("\"configured\": true")
    );
    let removed = call_ok(&h, ALICE, "admin_sso_config_remove", json!({}));
    assert_eq!(removed, json!({"configured": false, "sso_config": null}));
    let after = h.rpc(
        &token(ALICE),
        "resources/read",
        json!({"uri": "admin://config/sso"}),
    );
    let after: Value =
        serde_json::from_str(after["result"]["contents"][0]["text"].as_str().unwrap()).unwrap();
    assert_eq!(
        after["configured"], false,
        "the removal is seen, not a cached read"
    );
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("admin_sso_config_set__text", set);
        insta::assert_json_snapshot!("admin_sso_config_remove__alice", removed);
    });
}

#[test]
fn open_query_is_switched() {
    let h = Harness::start();
    let on = call_ok(
        &h,
        ALICE,
        "admin_tabulator_open_query_set",
        json!({"enabled": true}),
    );
    let off = call_ok(
        &h,
        ALICE,
        "admin_tabulator_open_query_set",
        json!({"enabled": false}),
    );
    assert_eq!(off, json!({"open_query_enabled": false}));
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("admin_tabulator_open_query_set__on", on);
    });
}

#[test]
fn a_non_admin_gets_one_clear_refusal_from_every_tool() {
    let h = Harness::start();
    let calls = [
        ("admin_roles_list", json!({})),
        (
            "admin_user_set_role",
            json!({"name": "bob", "role": "ReadWriteQuiltBucket"}),
        ),
        (
            "admin_user_add_roles",
            json!({"name": "bob", "roles": ["ReadWriteQuiltBucket"]}),
        ),
        (
            "admin_user_remove_roles",
            json!({"name": "bob", "roles": ["ReadQuiltBucket"]}),
        ),
        (
            "admin_sso_config_set",
            json!({"config": "version: \"1.0\"\n"}),
        ),
        ("admin_sso_config_remove", json!({})),
        ("admin_tabulator_open_query_set", json!({"enabled": true})),
    ];
    let mut refusals = BTreeMap::new();
    for (tool, args) in calls {
        let text = call_fails(&h, BOB, tool, args);
        assert!(
            text.starts_with("this needs catalog admin rights"),
            "{tool}: {text}"
        );
        refusals.insert(tool, text);
    }
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("admin_roles_sso__bob_refused", refusals);
    });
}

#[test]
fn bad_arguments_are_refused_before_any_catalog_call() {
    let h = Harness::start();
    let cases = [
        (
            "admin_user_set_role",
            json!({"name": "", "role": "R"}),
            "`name`",
        ),
        (
            "admin_user_set_role",
            json!({"name": "bob", "role": ""}),
            "`role`",
        ),
        (
            "admin_user_set_role",
            json!({"name": "bob", "role": "R", "extra_roles": ["R", " "]}),
            "`extra_roles[1]`",
        ),
        (
            "admin_user_add_roles",
            json!({"name": "bob", "roles": []}),
            "`roles`",
        ),
        (
            "admin_user_add_roles",
            json!({"name": "", "roles": ["R"]}),
            "`name`",
        ),
        (
            "admin_user_remove_roles",
            json!({"name": "bob", "roles": ["R"], "fallback": ""}),
            "`fallback`",
        ),
        (
            "admin_user_remove_roles",
            json!({"name": "bob", "roles": []}),
            "`roles`",
        ),
        ("admin_sso_config_set", json!({"config": "  "}), "`config`"),
        ("admin_sso_config_set", json!({"config": 5}), "config"),
        ("admin_sso_config_remove", json!({"config": null}), "config"),
        ("admin_tabulator_open_query_set", json!({}), "enabled"),
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
    let cases = [
        (
            "admin_user_set_role",
            json!({"name": "bob", "role": "NoSuchRole"}),
            "SetUserRole: role: Role NoSuchRole does not exist",
        ),
        (
            "admin_user_set_role",
            json!({"name": "pipeline-bot", "role": "ReadQuiltBucket"}),
            "Role assignment is disabled",
        ),
        (
            "admin_user_add_roles",
            json!({"name": "bob", "roles": ["NoSuchRole"]}),
            "roles: Role NoSuchRole does not exist",
        ),
        (
            "admin_user_add_roles",
            json!({"name": "nobody", "roles": ["ReadQuiltBucket"]}),
            "no user named `nobody`",
        ),
        (
            "admin_user_remove_roles",
            json!({"name": "bob", "roles": ["ReadQuiltBucket"]}),
            "fallback: A fallback role is required",
        ),
        (
            "admin_user_remove_roles",
            json!({"name": "pipeline-bot", "roles": ["DataScience"], "fallback": "ReadQuiltBucket"}),
            "Role assignment is disabled",
        ),
        (
            "admin_sso_config_set",
            json!({"config": "version: [oops"}),
            "config: while parsing a flow sequence",
        ),
        (
            "admin_sso_config_set",
            json!({"config": "version: \"1.0\"\ndefault_role: NoSuchRole\nmappings: []\n"}),
            "Role NoSuchRole does not exist",
        ),
    ];
    for (tool, args, expected) in cases {
        let text = call_fails(&h, ALICE, tool, args.clone());
        assert!(text.contains(expected), "{tool} {args}: {text}");
    }
}
