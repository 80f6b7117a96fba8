//! Roles, SSO and the Tabulator open-query switch against the model catalog: success
//! snapshots for alice (an admin), each write read back, bob's refusal on every tool, arguments
//! refused before any catalog call, and the catalog's typed error arms (provoked by input the
//! catalog refuses) reaching the agent with their field paths.

mod common;

use common::*;
use serde_json::{Value, json};

/// `admin_user_get` for `name`, as alice; the user it shows.
fn get_user(h: &Harness, name: &str) -> Value {
    call_ok(h, ALICE, "admin_user_get", json!({"name": name}))["user"].clone()
}

/// The names of a user's extra roles.
fn extra_role_names(user: &Value) -> Vec<String> {
    user["extra_roles"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["name"].as_str().unwrap().to_string())
        .collect()
}

/// The name of the user's active role.
fn active_role(user: &Value) -> String {
    user["role"]["name"].as_str().unwrap().to_string()
}

/// The roles `admin_roles_list` shows alice, and that answer.
fn roles(h: &Harness) -> (Vec<Value>, Value) {
    let answer = call_ok(h, ALICE, "admin_roles_list", json!({}));
    (answer["roles"].as_array().unwrap().clone(), answer)
}

/// The first role of kind `kind` (`managed`/`unmanaged`) in the listing.
fn role_of_kind(roles: &[Value], kind: &str) -> String {
    roles
        .iter()
        .find(|r| r["type"] == kind)
        .and_then(|r| r["name"].as_str())
        .unwrap_or_else(|| panic!("no {kind} role in {roles:?}"))
        .to_string()
}

/// The SSO configuration as the `admin://config/sso` resource shows it to alice.
fn sso_resource(h: &Harness) -> Value {
    let answer = h.rpc(
        &token(ALICE),
        "resources/read",
        json!({"uri": "admin://config/sso"}),
    );
    serde_json::from_str(answer["result"]["contents"][0]["text"].as_str().unwrap()).unwrap()
}

#[test]
fn roles_are_listed_and_assigned() {
    let h = Harness::start();
    let (listed, roles) = roles(&h);
    assert_eq!(roles["count"], listed.len());
    assert_eq!(roles["count"], 4, "the dataset's four roles");
    let unmanaged = role_of_kind(&listed, "unmanaged");
    role_of_kind(&listed, "managed");

    // bob's active role and his extra role trade places.
    let bob = get_user(&h, "bob");
    let (bob_active, bob_extra) = (active_role(&bob), extra_role_names(&bob));
    assert!(!bob_extra.is_empty(), "{bob}");
    let set = call_ok(
        &h,
        ALICE,
        "admin_user_set_role",
        json!({"name": "bob", "role": bob_extra[0], "extra_roles": [bob_active]}),
    );
    assert_eq!(set["user"]["role"]["name"], bob_extra[0].as_str());
    assert_eq!(extra_role_names(&set["user"]), vec![bob_active.clone()]);
    assert_eq!(
        get_user(&h, "bob"),
        set["user"],
        "the new roles are read back"
    );

    // An unmanaged role is added to his extra roles, and shows its kind.
    let added = call_ok(
        &h,
        ALICE,
        "admin_user_add_roles",
        json!({"name": "bob", "roles": [unmanaged]}),
    );
    assert_eq!(added["user"]["role"]["name"], bob_extra[0].as_str());
    let extra = &added["user"]["extra_roles"];
    assert_eq!(
        extra_role_names(&added["user"]),
        vec![bob_active.clone(), unmanaged.clone()]
    );
    assert_eq!(extra[1]["type"], "unmanaged");
    assert_eq!(get_user(&h, "bob"), added["user"]);

    // alice loses her extra role; her active one stays.
    let alice = get_user(&h, "alice");
    let alice_extra = extra_role_names(&alice);
    assert!(!alice_extra.is_empty(), "{alice}");
    let removed = call_ok(
        &h,
        ALICE,
        "admin_user_remove_roles",
        json!({"name": "alice", "roles": [alice_extra[0]]}),
    );
    assert_eq!(removed["user"]["role"], alice["role"]);
    assert!(!extra_role_names(&removed["user"]).contains(&alice_extra[0]));
    assert_eq!(get_user(&h, "alice"), removed["user"]);

    // Removing bob's active role makes the fallback active.
    let fallback = call_ok(
        &h,
        ALICE,
        "admin_user_remove_roles",
        json!({"name": "bob", "roles": [bob_extra[0]], "fallback": bob_active}),
    );
    assert_eq!(fallback["user"]["role"]["name"], bob_active.as_str());
    assert_eq!(extra_role_names(&fallback["user"]), vec![unmanaged.clone()]);
    assert_eq!(get_user(&h, "bob"), fallback["user"]);
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
    let (listed, _) = roles(&h);
    // The least-privileged role the listing shows is the default for SSO users.
    let role = "ReadOnly";
    assert!(listed.iter().any(|r| r["name"] == role), "{listed:?}");
    let text = format!("version: \"1.0\"\ndefault_role: {role}\nmappings: []\n");
    let set = call_ok(&h, ALICE, "admin_sso_config_set", json!({"config": text}));
    assert_eq!(set["sso_config"]["text"], text.as_str());
    assert_eq!(
        sso_resource(&h)["sso_config"]["text"],
        text.as_str(),
        "read back"
    );
    // An object (upstream's form) is sent as its JSON text.
    let object = json!({"default_role": role, "mappings": [], "version": "1.0"});
    let from_object = call_ok(&h, ALICE, "admin_sso_config_set", json!({"config": object}));
    let object_text = format!(r#"{{"default_role":"{role}","mappings":[],"version":"1.0"}}"#);
    assert_eq!(from_object["sso_config"]["text"], object_text.as_str());
    let before = sso_resource(&h);
    assert_eq!(before["configured"], true);
    assert_eq!(
        before["sso_config"]["text"],
        object_text.as_str(),
        "read back"
    );
    assert_eq!(before["sso_config"]["uploader"]["name"], "alice");
    let removed = call_ok(&h, ALICE, "admin_sso_config_remove", json!({}));
    assert_eq!(removed, json!({"configured": false, "sso_config": null}));
    let after = sso_resource(&h);
    assert_eq!(
        after["configured"], false,
        "the removal is seen, not a cached read"
    );
    // The upload time is the catalog's clock.
    let mut set = set;
    assert!(set["sso_config"]["timestamp"].is_string(), "{set}");
    set["sso_config"]["timestamp"] = json!("[now]");
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("admin_sso_config_set__text", set);
        insta::assert_json_snapshot!("admin_sso_config_remove__alice", removed);
    });
}

/// The open-query switch as the `admin://config/tabulator` resource shows it to alice.
fn open_query(h: &Harness) -> Value {
    let answer = h.rpc(
        &token(ALICE),
        "resources/read",
        json!({"uri": "admin://config/tabulator"}),
    );
    let text = answer["result"]["contents"][0]["text"].as_str().unwrap();
    serde_json::from_str::<Value>(text).unwrap()["open_query_enabled"].clone()
}

#[test]
fn open_query_is_switched() {
    let h = Harness::start();
    assert_eq!(open_query(&h), false, "the dataset starts with it off");
    let on = call_ok(
        &h,
        ALICE,
        "admin_tabulator_open_query_set",
        json!({"enabled": true}),
    );
    assert_eq!(open_query(&h), true, "read back");
    let off = call_ok(
        &h,
        ALICE,
        "admin_tabulator_open_query_set",
        json!({"enabled": false}),
    );
    assert_eq!(off, json!({"open_query_enabled": false}));
    assert_eq!(open_query(&h), false, "read back");
    snapshot_settings().bind(|| {
        insta::assert_json_snapshot!("admin_tabulator_open_query_set__on", on);
    });
}

#[test]
fn a_non_admin_neither_sees_nor_can_call_the_admin_tools() {
    let h = Harness::start();
    let bob = get_user(&h, "bob");
    let sso = sso_resource(&h);
    let calls = [
        ("admin_roles_list", json!({})),
        (
            "admin_user_set_role",
            json!({"name": "bob", "role": "DataAdmin"}),
        ),
        (
            "admin_user_add_roles",
            json!({"name": "bob", "roles": ["DataAdmin"]}),
        ),
        (
            "admin_user_remove_roles",
            json!({"name": "bob", "roles": ["ReadOnly"]}),
        ),
        (
            "admin_sso_config_set",
            json!({"config": "version: \"1.0\"\n"}),
        ),
        ("admin_sso_config_remove", json!({})),
        ("admin_tabulator_open_query_set", json!({"enabled": true})),
    ];
    for (tool, args) in calls {
        call_hidden(&h, BOB, tool, args);
    }
    // Nothing changed.
    assert_eq!(get_user(&h, "bob"), bob);
    assert_eq!(sso_resource(&h), sso);
    assert_eq!(open_query(&h), false);
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
            json!({"name": "bob", "roles": ["R"], "fallback": " "}),
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
    let (listed, _) = roles(&h);
    let managed = role_of_kind(&listed, "managed");
    assert!(!listed.iter().any(|r| r["name"] == "NoSuchRole"));
    let bob = get_user(&h, "bob");
    let bob_active = active_role(&bob);
    let bot = get_user(&h, "pipeline-bot");
    assert_eq!(bot["is_role_assignment_disabled"], true);
    let bot_role = active_role(&bot);
    let sso = sso_resource(&h);
    let cases = [
        (
            "admin_user_set_role",
            json!({"name": "bob", "role": "NoSuchRole"}),
            "SetUserRole: role: Role NoSuchRole does not exist",
        ),
        (
            "admin_user_set_role",
            json!({"name": "bob", "role": managed, "extra_roles": ["NoSuchRole"]}),
            "extraRoles: Role NoSuchRole does not exist",
        ),
        (
            "admin_user_set_role",
            json!({"name": "pipeline-bot", "role": managed}),
            "Role assignment is disabled",
        ),
        (
            "admin_user_add_roles",
            json!({"name": "bob", "roles": ["NoSuchRole"]}),
            "roles: Role NoSuchRole does not exist",
        ),
        (
            "admin_user_add_roles",
            json!({"name": "nobody", "roles": [managed]}),
            "no user named `nobody`",
        ),
        (
            "admin_user_add_roles",
            json!({"name": "pipeline-bot", "roles": [managed]}),
            "Role assignment is disabled",
        ),
        (
            "admin_user_remove_roles",
            json!({"name": "bob", "roles": [bob_active]}),
            "fallback: Removing the active role needs a fallback role",
        ),
        (
            "admin_user_remove_roles",
            json!({"name": "bob", "roles": [bob_active], "fallback": "NoSuchRole"}),
            "fallback: Role NoSuchRole does not exist",
        ),
        (
            "admin_user_remove_roles",
            json!({"name": "pipeline-bot", "roles": [bot_role], "fallback": managed}),
            "Role assignment is disabled",
        ),
        (
            "admin_sso_config_set",
            json!({"config": "version: [oops"}),
            "config: the SSO configuration is not valid YAML",
        ),
        (
            "admin_sso_config_set",
            json!({"config": "version: \"1.0\"\ndefault_role: NoSuchRole\nmappings: []\n"}),
            "config: Role NoSuchRole does not exist",
        ),
    ];
    for (tool, args, expected) in cases {
        let text = call_fails(&h, ALICE, tool, args.clone());
        assert!(text.contains(expected), "{tool} {args}: {text}");
    }
    // Nothing refused was done.
    assert_eq!(get_user(&h, "bob"), bob);
    assert_eq!(get_user(&h, "pipeline-bot"), bot);
    assert_eq!(sso_resource(&h), sso);
}
