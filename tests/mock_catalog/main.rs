//! Black-box tests of the embedded catalog (the model, and the replay of recordings), over real
//! HTTP on 127.0.0.1 with ureq.

mod client;
mod faults;
mod fidelity;
mod matching;

use quilt_mcp::mock::Recordings;
use serde_json::{Value, json};

use crate::client::*;

#[test]
fn every_builtin_recording_parses_and_is_listed() {
    let builtin = Recordings::builtin().unwrap();
    assert!(!builtin.is_empty());
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/recordings");
    let on_disk = Recordings::from_dir(&dir).unwrap();
    let mut listed = builtin.scenarios().to_vec();
    listed.sort();
    let mut files = on_disk.scenarios().to_vec();
    files.sort();
    assert_eq!(
        listed, files,
        "every file in tests/recordings must be in src/mock/builtin.rs"
    );
    assert_eq!(builtin.len(), on_disk.len());
    for operation in ["AuthStatus", "ListBuckets", "BrowsingSessionCreate"] {
        assert!(
            builtin.graphql_operations().iter().any(|o| o == operation),
            "{operation}"
        );
    }
}

#[test]
fn answers_200_concurrent_requests() {
    let rt = runtime();
    let mock = builtin(&rt);
    let agent = agent();
    let threads: Vec<_> = (0..200)
        .map(|i| {
            let agent = agent.clone();
            let url = mock.url();
            std::thread::spawn(move || {
                let user = if i % 2 == 0 { ALICE } else { BOB };
                let mut response = agent
                    .post(format!("{url}/graphql"))
                    .header("Authorization", format!("Bearer {}", token(user)))
                    .send_json(json!({ "query": LIST_BUCKETS }))
                    .unwrap();
                let body: Value = response.body_mut().read_json().unwrap();
                (
                    response.status().as_u16(),
                    body["data"]["bucketConfigs"].as_array().unwrap().len(),
                    user,
                )
            })
        })
        .collect();
    for thread in threads {
        let (status, buckets, user) = thread.join().unwrap();
        assert_eq!((status, buckets), (200, if user == ALICE { 3 } else { 2 }));
    }
    assert_eq!(mock.requests().len(), 200);
    mock.assert_all_matched();
}

#[test]
fn shutdown_stops_accepting() {
    let rt = runtime();
    let mock = builtin(&rt);
    let url = format!("{}/config.json", mock.url());
    assert_eq!(get_url(&url, None).unwrap().0, 200);
    rt.block_on(mock.shutdown());
    assert!(get_url(&url, None).is_err());
}
