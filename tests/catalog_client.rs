//! The catalog client's REST side against the model catalog: credentials cached per caller,
//! browsing sessions reused per revision, config.json shared, and the caller's token on each.

mod common;

use std::sync::Arc;

use common::*;
use quilt_mcp::auth::CallerToken;
use quilt_mcp::catalog::browsing::{FileLocation, revision_scope};
use quilt_mcp::catalog::{CatalogClient, CatalogErrorKind, OnBehalf};
use quilt_mcp::config::Config;
use quilt_mcp::layers::request_id::RequestId;
use quilt_mcp::mock::{MockCatalog, Recordings};

/// A made-up top hash, for the replayed scenario (which does not look at it).
const HASH: &str = "5feebbc18159b525a839f627ce7f7c223cea13cd471a060ced04ea49613baaf7";

/// The latest top hash of a package, read from the model.
fn latest_hash(mock: &MockCatalog, bucket: &str, name: &str) -> String {
    mock.with_model(|m| {
        m.package(bucket, name)
            .and_then(|p| p.latest())
            .map(|r| r.hash.clone())
    })
    .flatten()
    .unwrap_or_else(|| panic!("{bucket}/{name} is in the dataset"))
}

/// The access key the registry issues to user `id`.
fn access_key(mock: &MockCatalog, id: i64) -> String {
    mock.with_model(|m| {
        m.users
            .iter()
            .find(|u| u.id == id)
            .map(|u| u.access_key.clone())
    })
    .flatten()
    .unwrap_or_else(|| panic!("user {id} is in the dataset"))
}

fn setup() -> (tokio::runtime::Runtime, MockCatalog, Arc<CatalogClient>) {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let mock = rt.block_on(MockCatalog::start()).unwrap();
    let config = Config::from_vars(base_env(&mock.url())).unwrap();
    (rt, mock, Arc::new(CatalogClient::new(&config)))
}

#[test]
fn credentials_are_fetched_once_per_caller_and_never_shared() {
    let (rt, mock, client) = setup();
    mock.set_strict(true);
    let (alice, bob) = (
        CallerToken::new(&token(ALICE)),
        CallerToken::new(&token(BOB)),
    );
    let id = RequestId::mint();
    let a1 = rt
        .block_on(client.credentials(OnBehalf {
            token: &alice,
            request_id: &id,
        }))
        .unwrap();
    let a2 = rt
        .block_on(client.credentials(OnBehalf {
            token: &alice,
            request_id: &id,
        }))
        .unwrap();
    let b = rt
        .block_on(client.credentials(OnBehalf {
            token: &bob,
            request_id: &id,
        }))
        .unwrap();
    assert_eq!(a1, a2);
    assert_ne!(a1.access_key_id, b.access_key_id);
    assert_eq!(
        a1.access_key_id,
        access_key(&mock, ALICE),
        "alice's own keys"
    );
    assert_eq!(b.access_key_id, access_key(&mock, BOB), "bob's own keys");
    assert!(
        !format!("{a1:?}").contains(&a1.secret_access_key),
        "Debug hides the secret"
    );
    let seen = mock.requests();
    assert_eq!(seen.len(), 2, "one exchange per caller");
    assert_eq!(seen[0].token.as_deref(), Some(alice.expose()));
    assert_eq!(seen[1].token.as_deref(), Some(bob.expose()));
    // A refused exchange says so, and is not cached.
    let stranger = CallerToken::new(&token(STRANGER));
    for _ in 0..2 {
        let refused = rt
            .block_on(client.credentials(OnBehalf {
                token: &stranger,
                request_id: &id,
            }))
            .unwrap_err();
        assert_eq!(refused.kind, CatalogErrorKind::Unauthorized);
    }
    assert_eq!(mock.requests().len(), 4, "the refusal was asked for twice");
    mock.assert_all_matched();
}

#[test]
fn browsing_sessions_are_reused_per_revision_and_redirect_to_presigned_urls() {
    let (rt, mock, client) = setup();
    mock.set_strict(true);
    let alice = CallerToken::new(&token(ALICE));
    let id = RequestId::mint();
    let who = OnBehalf {
        token: &alice,
        request_id: &id,
    };
    let hash = latest_hash(&mock, "example-data", "team/rnaseq-2024");
    let scope = revision_scope("example-data", "team/rnaseq-2024", &hash);
    assert_eq!(
        scope,
        format!("quilt+s3://example-data#package=team/rnaseq-2024@{hash}")
    );
    let first = rt
        .block_on(client.browse_url(who, &scope, "README.md"))
        .unwrap();
    let again = rt
        .block_on(client.browse_url(who, &scope, "README.md"))
        .unwrap();
    assert_eq!(first, again);
    let second = rt
        .block_on(client.browse_url(who, &scope, "results/counts.csv"))
        .unwrap();
    for (location, key) in [
        (&first, "team/rnaseq-2024/README.md"),
        (&second, "team/rnaseq-2024/results/counts.csv"),
    ] {
        let FileLocation::Presigned(url) = location else {
            panic!("expected a redirect: {location:?}")
        };
        assert!(
            url.starts_with(&format!("{}/presigned/example-data/{key}?", mock.url())),
            "{url}"
        );
        // The presigned URL serves the file's bytes without any token.
        let bytes = client_get(url);
        let expected = mock
            .with_model(|m| {
                m.object("example-data", key, None)
                    .map(|o| o.bytes.to_vec())
            })
            .flatten()
            .unwrap();
        assert_eq!(bytes, expected, "{key}");
    }
    let created: Vec<_> = mock
        .requests()
        .into_iter()
        .filter(|r| r.operation.as_deref() == Some("BrowsingSessionCreate"))
        .collect();
    assert_eq!(created.len(), 1, "one session for both files");
    assert_eq!(
        created[0].variables["ttl"], 180,
        "QUILT_BROWSING_SESSION_TTL's default"
    );
    assert_eq!(created[0].token.as_deref(), Some(alice.expose()));
    mock.assert_all_matched();
}

/// GETs `url` without a token (the mock serves on the runtime's worker threads); the body of
/// a 200 answer.
fn client_get(url: &str) -> Vec<u8> {
    let mut response = common::client().get(url).call().unwrap();
    assert_eq!(response.status(), 200, "{url}");
    response.body_mut().read_to_vec().unwrap()
}

#[test]
fn config_json_is_fetched_once_and_shared() {
    let (rt, mock, client) = setup();
    let id = RequestId::mint();
    let first = rt.block_on(client.config_json(&id)).unwrap();
    let second = rt.block_on(client.config_json(&id)).unwrap();
    assert_eq!(first, second);
    assert_eq!(first["registryUrl"], mock.url());
    assert_eq!(mock.requests().len(), 1);
    assert_eq!(
        mock.requests()[0].token,
        None,
        "config.json is public: no token is sent"
    );
}

#[test]
fn a_bucket_that_is_not_browsable_is_a_clear_operation_error() {
    let (rt, mock, client) = setup();
    let alice = CallerToken::new(&token(ALICE));
    let id = RequestId::mint();
    let who = OnBehalf {
        token: &alice,
        request_id: &id,
    };
    mock.set_strict(true);
    let hash = latest_hash(&mock, "example-packages", "team/curated-rnaseq");
    let scope = revision_scope("example-packages", "team/curated-rnaseq", &hash);
    let error = rt
        .block_on(client.browse_url(who, &scope, "README.md"))
        .unwrap_err();
    assert!(error.to_string().contains("BucketNotBrowsable"), "{error}");
    mock.assert_all_matched();
}

#[test]
fn a_browsing_session_that_expired_mid_call_is_renewed_once() {
    let rt = tokio::runtime::Runtime::new().unwrap();
    let scenario = r#"{
      "scenario": "expiring_session",
      "interactions": [
        {"id": "first-session", "when_state": "initial", "set_state": "issued",
         "request": {"graphql": {"operation": "BrowsingSessionCreate"}},
         "response": {"status": 200, "body": {"data": {"browsingSessionCreate":
            {"__typename": "BrowsingSession", "id": "old", "expires": "2099-01-01T00:00:00Z"}}}}},
        {"id": "old-session-gone", "when_state": "issued", "set_state": "expired",
         "request": {"method": "GET", "path": "/browse/old/a.txt"},
         "response": {"status": 404, "body": {"message": "SessionNotFound"}}},
        {"id": "second-session", "when_state": "expired",
         "request": {"graphql": {"operation": "BrowsingSessionCreate"}},
         "response": {"status": 200, "body": {"data": {"browsingSessionCreate":
            {"__typename": "BrowsingSession", "id": "new", "expires": "2099-01-01T00:00:00Z"}}}}},
        {"id": "new-session-works", "request": {"method": "GET", "path": "/browse/new/a.txt"},
         "response": {"status": 302, "headers": {"location": "{{mock_url}}/presigned/a.txt"}, "body_text": ""}}
      ]
    }"#;
    let mock = rt
        .block_on(MockCatalog::replay(
            Recordings::from_json("expiring.json", scenario).unwrap(),
        ))
        .unwrap();
    let config = Config::from_vars(base_env(&mock.url())).unwrap();
    let client = CatalogClient::new(&config);
    let alice = CallerToken::new(&token(ALICE));
    let id = RequestId::mint();
    let who = OnBehalf {
        token: &alice,
        request_id: &id,
    };
    let scope = revision_scope("example-data", "team/x", HASH);
    let location = rt
        .block_on(client.browse_url(who, &scope, "a.txt"))
        .unwrap();
    assert_eq!(
        location,
        FileLocation::Presigned(format!("{}/presigned/a.txt", mock.url()))
    );
    let ids: Vec<_> = mock
        .requests()
        .into_iter()
        .filter_map(|r| r.matched)
        .collect();
    assert_eq!(
        ids,
        [
            "first-session",
            "old-session-gone",
            "second-session",
            "new-session-works"
        ]
    );
}
