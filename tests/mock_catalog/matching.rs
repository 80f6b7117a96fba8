//! Matching, per-user answers, `{{mock_url}}`, strictness, the request log and scenario state.

use std::panic::{AssertUnwindSafe, catch_unwind};

use quilt_mcp::mock::{Fault, Recordings, caller_id_from_bearer};
use serde_json::{Value, json};

use crate::client::*;

#[test]
fn graphql_operation_is_answered_per_user() {
    let rt = runtime();
    let mock = builtin(&rt);
    let (status, alice) = graphql(&mock, Some(ALICE), LIST_BUCKETS, None);
    assert_eq!(status, 200);
    assert_eq!(
        bucket_names(&alice),
        ["example-data", "example-packages", "example-public"]
    );
    let (_, bob) = graphql(&mock, Some(BOB), LIST_BUCKETS, None);
    assert_eq!(bucket_names(&bob), ["example-data", "example-public"]);
    let (_, me) = graphql(&mock, Some(ALICE), AUTH_STATUS, None);
    assert_eq!(me["data"]["me"]["isAdmin"], true);
    assert_eq!(me["data"]["me"]["email"], "alice@example.com");
    let (_, me) = graphql(&mock, Some(BOB), AUTH_STATUS, None);
    assert_eq!(me["data"]["me"]["isAdmin"], false);
    let matched: Vec<_> = mock
        .requests()
        .into_iter()
        .map(|r| r.matched.unwrap())
        .collect();
    assert_eq!(
        matched,
        [
            "list-buckets-alice",
            "list-buckets-bob",
            "auth-status-alice",
            "auth-status-bob"
        ]
    );
    mock.assert_all_matched();
}

#[test]
fn graphql_variables_and_operation_name_field_are_matched() {
    let rt = runtime();
    let mock = builtin(&rt);
    let scope = "quilt+s3://example-data#package=team/rnaseq-2024@5feebbc18159b525a839f627ce7f7c223cea13cd471a060ced04ea49613baaf7";
    let document = "mutation BrowsingSessionCreate($scope: String!, $ttl: Int!) { browsingSessionCreate(scope: $scope, ttl: $ttl) { __typename ... on BrowsingSession { id expires } } }";
    let (status, body) = graphql(
        &mock,
        Some(BOB),
        document,
        Some(json!({"ttl": 180, "scope": scope})),
    );
    assert_eq!(status, 200);
    assert_eq!(
        body["data"]["browsingSessionCreate"]["id"],
        "bs_9a8b7c6d5e4f40318293a4b5c6d7e8f9"
    );
    // `operationName` wins over the document's own name.
    let body = json!({ "query": "query Whatever { me { name } }", "operationName": "AuthStatus" });
    let mut response = agent()
        .post(format!("{}/graphql", mock.url()))
        .header("Authorization", format!("Bearer {}", token(ALICE)))
        .send_json(&body)
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(
        response.body_mut().read_json::<Value>().unwrap()["data"]["me"]["name"],
        "alice"
    );
    // Other variables are not recorded.
    let (status, _) = graphql(
        &mock,
        Some(BOB),
        document,
        Some(json!({"ttl": 30, "scope": scope})),
    );
    assert_eq!(status, 500);
    assert_eq!(mock.acknowledge_unmatched().len(), 1);
}

#[test]
fn rest_path_and_query_are_matched() {
    let rt = runtime();
    let mock = builtin(&rt);
    // The body is compared as JSON: key order and spacing do not matter.
    let body = r#"{"size":5, "from":0, "query":{"bool":{"must":[{"exists":{"field":"ptr_name"}},
        {"query_string":{"default_operator":"AND","query":"rnaseq"}}]}}}"#;
    let query = format!(
        "index=example-data_packages&action=freeform&size=5&body={}",
        encode(body)
    );
    let (status, _, text) = get(&mock, Some(ALICE), &format!("/api/search?{query}"));
    assert_eq!(status, 200);
    let hits: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        hits["hits"]["hits"][0]["_source"]["ptr_name"],
        "team/rnaseq-2024"
    );
    let (_, _, alice) = get(&mock, Some(ALICE), "/api/auth/get_credentials");
    let (_, _, bob) = get(&mock, Some(BOB), "/api/auth/get_credentials");
    let alice: Value = serde_json::from_str(&alice).unwrap();
    let bob: Value = serde_json::from_str(&bob).unwrap();
    assert_eq!(alice["AccessKeyId"], "ASIAALICEEXAMPLE0001");
    assert_eq!(bob["AccessKeyId"], "ASIABOBEXAMPLE000002");
    assert!(alice["Expiration"].as_str().unwrap().starts_with("2099"));
    // A query value that differs is not matched.
    let (status, _, _) = get(
        &mock,
        Some(ALICE),
        "/api/search?index=example-public&action=freeform",
    );
    assert_eq!(status, 500);
    assert_eq!(
        mock.acknowledge_unmatched()[0].query,
        "index=example-public&action=freeform"
    );
}

#[test]
fn mock_url_is_filled_in_bodies_and_headers() {
    let rt = runtime();
    let mock = builtin(&rt);
    let (status, _, text) = get(&mock, None, "/config.json");
    assert_eq!(status, 200);
    let config: Value = serde_json::from_str(&text).unwrap();
    assert_eq!(config["registryUrl"], mock.url());
    assert_eq!(config["analyticsBucket"], "example-analyticsbucket-abc123");
    let (status, location, _) = get(
        &mock,
        Some(ALICE),
        "/browse/bs_9a8b7c6d5e4f40318293a4b5c6d7e8f9/README.md",
    );
    assert_eq!(status, 302);
    let location = location.unwrap();
    assert!(
        location.starts_with(&format!("{}/presigned/", mock.url())),
        "{location}"
    );
    let (status, _, readme) = get_url(&location, None).unwrap();
    assert_eq!(status, 200);
    assert!(readme.starts_with("# team/rnaseq-2024"), "{readme}");
    mock.assert_all_matched();
}

#[test]
fn refused_users_get_401_and_403_everywhere_but_config() {
    let rt = runtime();
    let mock = builtin(&rt);
    for (user, status) in [(CAROL, 401), (DAVE, 403)] {
        let (got, body) = graphql(&mock, Some(user), LIST_BUCKETS, None);
        assert_eq!((got, body["message"].is_string()), (status, true));
        assert_eq!(
            graphql(&mock, Some(user), "{ bucketConfigs { name } }", None).0,
            status
        );
        assert_eq!(
            get(&mock, Some(user), "/api/auth/get_credentials").0,
            status
        );
        assert_eq!(
            get(
                &mock,
                Some(user),
                "/browse/bs_9a8b7c6d5e4f40318293a4b5c6d7e8f9/README.md"
            )
            .0,
            status
        );
        assert_eq!(get(&mock, Some(user), "/config.json").0, 200);
    }
    let (_, carol) = graphql(&mock, Some(CAROL), AUTH_STATUS, None);
    assert_eq!(carol, json!({"message": "Token invalid."}));
    mock.assert_all_matched();
}

#[test]
fn unrecorded_request_is_loud() {
    let rt = runtime();
    let mock = builtin(&rt);
    let document = "query ListPackages($bucket: String!) { packages(bucket: $bucket) { total } }";
    let (status, body) = graphql(
        &mock,
        Some(ALICE),
        document,
        Some(json!({"bucket": "example-data"})),
    );
    assert_eq!(status, 500);
    let message = body["errors"][0]["message"].as_str().unwrap();
    assert!(
        message.starts_with("mock catalog: unrecorded request: POST /graphql"),
        "{message}"
    );
    assert!(message.contains("operation=ListPackages"), "{message}");
    assert!(
        message.contains(r#"variables={"bucket":"example-data"}"#),
        "{message}"
    );
    assert!(message.contains("user_id=1"), "{message}");
    let unmatched = mock.unmatched();
    assert_eq!(unmatched.len(), 1);
    assert_eq!(unmatched[0].operation.as_deref(), Some("ListPackages"));
    assert_eq!(unmatched[0].matched, None);
    let panic = catch_unwind(AssertUnwindSafe(|| mock.assert_all_matched())).unwrap_err();
    let text = panic.downcast_ref::<String>().unwrap();
    assert!(
        text.contains("1 unrecorded request") && text.contains("operation=ListPackages"),
        "{text}"
    );
    assert!(
        !text.contains(&token(ALICE)),
        "the token must not be printed"
    );
    // Reported once: neither a second assert nor the drop at the end of this test panics again.
    mock.assert_all_matched();
}

#[test]
fn dropping_a_mock_that_saw_an_unrecorded_request_panics() {
    let result = catch_unwind(|| {
        let rt = runtime();
        let mock = builtin(&rt);
        let (status, _, _) = get(&mock, Some(ALICE), "/api/not-recorded");
        assert_eq!(status, 500);
        drop(mock);
    });
    let panic = result.unwrap_err();
    let text = panic.downcast_ref::<String>().unwrap();
    assert!(
        text.contains("GET /api/not-recorded") && text.contains("dropped"),
        "{text}"
    );
}

#[test]
fn acknowledged_unrecorded_requests_do_not_fail_the_test() {
    let rt = runtime();
    let mock = builtin(&rt);
    get(&mock, None, "/nowhere");
    let acknowledged = mock.acknowledge_unmatched();
    assert_eq!(
        acknowledged[0].describe(),
        "GET /nowhere user_id=(no token)"
    );
    mock.assert_all_matched();
}

#[test]
fn each_request_logs_the_callers_token() {
    let rt = runtime();
    let mock = builtin(&rt);
    graphql(&mock, Some(ALICE), LIST_BUCKETS, None);
    get(&mock, Some(BOB), "/api/auth/get_credentials");
    get(&mock, None, "/config.json");
    let seen = mock.requests();
    assert_eq!(seen.len(), 3);
    assert_eq!(seen[0].token.as_deref(), Some(token(ALICE).as_str()));
    assert_eq!(
        (seen[0].user_id, seen[0].operation.as_deref()),
        (Some(ALICE), Some("ListBuckets"))
    );
    assert_eq!(seen[1].token.as_deref(), Some(token(BOB).as_str()));
    assert_eq!(
        (
            seen[1].method.as_str(),
            seen[1].path.as_str(),
            seen[1].user_id
        ),
        ("GET", "/api/auth/get_credentials", Some(BOB))
    );
    assert_eq!((seen[2].token.as_ref(), seen[2].user_id), (None, None));
    assert_eq!(caller_id_from_bearer(&token(DAVE)), Some(DAVE));
    mock.assert_all_matched();
}

const STATEFUL: &str = r#"{
  "scenario": "things", "description": "create, then list shows it",
  "interactions": [
    { "id": "list-empty", "when_state": "initial",
      "request": { "graphql": { "operation": "ListThings" } },
      "response": { "status": 200, "body": { "data": { "things": [] } } } },
    { "id": "create", "when_state": "initial", "set_state": "created",
      "request": { "graphql": { "operation": "CreateThing", "variables": { "name": "x" } } },
      "response": { "status": 200, "body": { "data": { "createThing": { "name": "x" } } } } },
    { "id": "list-one", "when_state": "created",
      "request": { "graphql": { "operation": "ListThings" } },
      "response": { "status": 200, "body": { "data": { "things": [{ "name": "x" }] } } } }
  ] }"#;

#[test]
fn scenario_state_moves_on_set_state() {
    let rt = runtime();
    let mock = start(&rt, Recordings::from_json("things.json", STATEFUL).unwrap());
    let list = "query ListThings { things { name } }";
    let create = "mutation CreateThing($name: String!) { createThing(name: $name) { name } }";
    assert_eq!(
        graphql(&mock, Some(ALICE), list, None).1["data"]["things"],
        json!([])
    );
    // A disruptive fault answers without moving the state, so a retry sees the same state.
    mock.set_fault(Fault {
        status: Some(503),
        ..Fault::default()
    });
    assert_eq!(
        graphql(&mock, Some(ALICE), create, Some(json!({"name": "x"}))).0,
        503
    );
    mock.clear_fault();
    assert_eq!(
        graphql(&mock, Some(ALICE), list, None).1["data"]["things"],
        json!([])
    );
    assert_eq!(
        graphql(&mock, Some(ALICE), create, Some(json!({"name": "x"}))).0,
        200
    );
    assert_eq!(
        graphql(&mock, Some(ALICE), list, None).1["data"]["things"],
        json!([{"name": "x"}])
    );
    // `create` only answers in the initial state.
    assert_eq!(
        graphql(&mock, Some(ALICE), create, Some(json!({"name": "x"}))).0,
        500
    );
    assert_eq!(mock.acknowledge_unmatched().len(), 1);
}

const PER_USER: &str = r#"{
  "scenario": "per-user", "description": "a recording for anyone, then one for user 2 only",
  "interactions": [
    { "id": "anyone", "request": { "method": "GET", "path": "/api/thing" },
      "response": { "status": 200, "body_text": "for anyone" } },
    { "id": "only-bob", "request": { "path_prefix": "/api/", "user_id": 2 },
      "response": { "status": 200, "body_text": "for bob" } }
  ] }"#;

#[test]
fn a_recording_for_the_caller_wins_over_file_order() {
    let rt = runtime();
    let mock = start(
        &rt,
        Recordings::from_json("per-user.json", PER_USER).unwrap(),
    );
    assert_eq!(get(&mock, Some(BOB), "/api/thing").2, "for bob");
    assert_eq!(get(&mock, Some(ALICE), "/api/thing").2, "for anyone");
    assert_eq!(get(&mock, None, "/api/thing").2, "for anyone");
    assert_eq!(get(&mock, Some(BOB), "/api/other").2, "for bob");
    mock.assert_all_matched();
}
