//! The mock's SSM face: `GetParameter` in SSM's JSON protocol, answered from a parameter store
//! that tests (and `quilt-mcp mock-catalog --ssm-parameter NAME=VALUE`) fill, so a server
//! started with `AWS_ENDPOINT_URL_SSM=<mock url>` reads its JWT secret from the mock.
//!
//! A request is SSM's when it carries `X-Amz-Target: AmazonSSM.<Operation>` (the SDK sends
//! `POST /` with `Content-Type: application/x-amz-json-1.1`); it never reaches the recordings.
//! It must be SigV4-signed (`Authorization: AWS4-HMAC-SHA256 Credential=<key id>/<date>/
//! <region>/ssm/aws4_request, ...`), as the SDK signs once it has credentials; the signature
//! itself is not checked. Answers, all `application/x-amz-json-1.1`:
//!
//! - unsigned: 400 `MissingAuthenticationTokenException`;
//! - an operation other than `GetParameter`: 400 `UnknownOperationException`;
//! - a denied name ([`MockCatalog::deny_ssm_parameter`]): 400 `AccessDeniedException`, worded
//!   as IAM words it;
//! - an unknown name: 400 `ParameterNotFound`;
//! - a stored name: 200 `{"Parameter": {"Name", "Type": "SecureString", "Value", "Version",
//!   "ARN", "DataType", "LastModifiedDate"}}`. Without `"WithDecryption": true` the value is a
//!   ciphertext placeholder, never the secret, as SSM does for a SecureString.
//!
//! Each SSM call is in [`MockCatalog::ssm_requests`] (name, decryption flag, signing key id and
//! region) and in [`MockCatalog::requests`] as `POST /` matched by `ssm:<Operation>`, without a
//! token. Faults apply to SSM answers as to any other (their path is `/`): an SSM outage is
//! `set_fault(Fault { drop_connection: true, ..Fault::default() })` or a forced 503.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Mutex, MutexGuard, PoisonError};

use bytes::Bytes;
use http::header::{AUTHORIZATION, CONTENT_TYPE};
use http::{HeaderMap, HeaderValue, StatusCode};
use serde_json::{Value, json};

use super::fault::Prepared;
use super::server::MockCatalog;

/// The account every mock ARN names.
const ACCOUNT: &str = "123456789012";
/// What a SecureString's `Value` holds when it is read without decryption.
const CIPHERTEXT: &str = "AQICAHhMockCiphertextNotTheSecretValue==";

/// One SSM call as the mock saw it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SsmRequest {
    /// The operation from `X-Amz-Target`, e.g. `GetParameter`.
    pub operation: String,
    /// The body's `Name`.
    pub name: Option<String>,
    /// The body's `WithDecryption`.
    pub with_decryption: bool,
    /// The access key id from the SigV4 credential scope (`None`: unsigned).
    pub access_key_id: Option<String>,
    /// The region from the SigV4 credential scope.
    pub region: Option<String>,
}

/// The parameter store behind the SSM face.
#[derive(Default)]
pub(crate) struct SsmParameters {
    // A std Mutex: every section is a few map operations and never spans an `.await`.
    store: Mutex<Store>,
}

#[derive(Default)]
struct Store {
    values: BTreeMap<String, (String, i64)>,
    /// The last version of every name ever set, so a re-created parameter counts on.
    versions: BTreeMap<String, i64>,
    denied: BTreeSet<String>,
    requests: Vec<SsmRequest>,
}

impl SsmParameters {
    fn lock(&self) -> MutexGuard<'_, Store> {
        // Each section leaves the maps whole, so a poisoned lock is still safe to use.
        self.store.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// The answer to an SSM request and the id it is logged under, or `None` when the
    /// headers do not make the request SSM's.
    pub(crate) fn answer(&self, headers: &HeaderMap, body: &[u8]) -> Option<(String, Prepared)> {
        let target = headers.get("x-amz-target")?.to_str().ok()?;
        let operation = target.strip_prefix("AmazonSSM.")?.to_string();
        let call: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
        let name = call.get("Name").and_then(Value::as_str).map(str::to_string);
        let with_decryption = call.get("WithDecryption").and_then(Value::as_bool) == Some(true);
        let (access_key_id, region) = signer(headers).unzip();
        let mut store = self.lock();
        store.requests.push(SsmRequest {
            operation: operation.clone(),
            name: name.clone(),
            with_decryption,
            access_key_id: access_key_id.clone(),
            region: region.clone(),
        });
        let id = format!("ssm:{operation}");
        let answer = if access_key_id.is_none() {
            error(
                "MissingAuthenticationTokenException",
                "Missing Authentication Token",
            )
        } else if operation != "GetParameter" {
            error(
                "UnknownOperationException",
                "the mock serves GetParameter only",
            )
        } else if let Some(name) = name {
            let arn = arn(region.as_deref().unwrap_or("us-east-1"), &name);
            if store.denied.contains(&name) {
                error(
                    "AccessDeniedException",
                    &format!(
                        "User: arn:aws:sts::{ACCOUNT}:assumed-role/quilt-mcp-task-role/mock is not authorized to perform: ssm:GetParameter on resource: {arn} because no identity-based policy allows the ssm:GetParameter action"
                    ),
                )
            } else if let Some((value, version)) = store.values.get(&name) {
                let value = if with_decryption { value } else { CIPHERTEXT };
                let body = json!({ "Parameter": {
                    "ARN": arn, "DataType": "text", "LastModifiedDate": crate::time::unix_now(),
                    "Name": name, "Type": "SecureString", "Value": value, "Version": version,
                }});
                prepared(StatusCode::OK, &body)
            } else {
                error("ParameterNotFound", &format!("Parameter {name} not found."))
            }
        } else {
            error("ValidationException", "Name is required")
        };
        Some((id, answer))
    }
}

/// The access key id and region of a SigV4 `Authorization` header.
fn signer(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let fields = value.strip_prefix("AWS4-HMAC-SHA256 ")?;
    let credential = fields
        .split(',')
        .find_map(|field| field.trim().strip_prefix("Credential="))?;
    let mut scope = credential.split('/');
    let key = scope.next().filter(|k| !k.is_empty())?;
    let region = scope.nth(1)?;
    Some((key.to_string(), region.to_string()))
}

fn arn(region: &str, name: &str) -> String {
    let separator = if name.starts_with('/') { "" } else { "/" };
    format!("arn:aws:ssm:{region}:{ACCOUNT}:parameter{separator}{name}")
}

/// SSM's JSON-protocol error: the code in `__type`, status 400.
fn error(code: &str, message: &str) -> Prepared {
    prepared(
        StatusCode::BAD_REQUEST,
        &json!({ "__type": code, "message": message }),
    )
}

fn prepared(status: StatusCode, body: &Value) -> Prepared {
    let mut headers = HeaderMap::new();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/x-amz-json-1.1"),
    );
    headers.insert(
        "x-amzn-requestid",
        HeaderValue::from_static("00000000-0000-4000-8000-000000000000"),
    );
    Prepared {
        status,
        headers,
        body: Bytes::from(body.to_string()),
    }
}

impl MockCatalog {
    /// Stores `value` under `name` for `GetParameter`; setting it again makes a new version,
    /// as a rotation does.
    pub fn set_ssm_parameter(&self, name: &str, value: &str) {
        let mut store = self.ssm_store().lock();
        let version = store.versions.get(name).copied().unwrap_or(0) + 1;
        store.versions.insert(name.to_string(), version);
        store
            .values
            .insert(name.to_string(), (value.to_string(), version));
    }

    /// Deletes `name`: `GetParameter` then answers `ParameterNotFound`.
    pub fn remove_ssm_parameter(&self, name: &str) {
        self.ssm_store().lock().values.remove(name);
    }

    /// While `denied`, `GetParameter` of `name` answers `AccessDeniedException`, as for a role
    /// without `ssm:GetParameter` on it.
    pub fn deny_ssm_parameter(&self, name: &str, denied: bool) {
        let mut store = self.ssm_store().lock();
        if denied {
            store.denied.insert(name.to_string());
        } else {
            store.denied.remove(name);
        }
    }

    /// Every SSM call so far, in arrival order.
    pub fn ssm_requests(&self) -> Vec<SsmRequest> {
        self.ssm_store().lock().requests.clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(target: &str, signed: bool) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert("x-amz-target", HeaderValue::from_str(target).unwrap());
        if signed {
            headers.insert(AUTHORIZATION, HeaderValue::from_static(
                "AWS4-HMAC-SHA256 Credential=AKIDTEST/20260101/eu-west-1/ssm/aws4_request, SignedHeaders=host, Signature=00",
            ));
        }
        headers
    }

    fn body_of(prepared: &Prepared) -> Value {
        serde_json::from_slice(&prepared.body).unwrap()
    }

    #[test]
    fn answers_get_parameter_and_its_errors() {
        let store = SsmParameters::default();
        let get = br#"{"Name": "/quilt-mcp/jwt", "WithDecryption": true}"#;
        assert!(store.answer(&HeaderMap::new(), get).is_none(), "not SSM");
        let (_, missing) = store
            .answer(&headers("AmazonSSM.GetParameter", true), get)
            .unwrap();
        assert_eq!(body_of(&missing)["__type"], "ParameterNotFound");
        {
            let mut s = store.lock();
            s.values.insert("/quilt-mcp/jwt".into(), ("v1".into(), 3));
        }
        let (id, found) = store
            .answer(&headers("AmazonSSM.GetParameter", true), get)
            .unwrap();
        assert_eq!(id, "ssm:GetParameter");
        let parameter = &body_of(&found)["Parameter"];
        assert_eq!(parameter["Value"], "v1");
        assert_eq!(parameter["Version"], 3);
        assert_eq!(
            parameter["ARN"],
            "arn:aws:ssm:eu-west-1:123456789012:parameter/quilt-mcp/jwt"
        );
        let plain = br#"{"Name": "/quilt-mcp/jwt"}"#;
        let (_, encrypted) = store
            .answer(&headers("AmazonSSM.GetParameter", true), plain)
            .unwrap();
        assert_eq!(body_of(&encrypted)["Parameter"]["Value"], CIPHERTEXT);
        let (_, unsigned) = store
            .answer(&headers("AmazonSSM.GetParameter", false), get)
            .unwrap();
        assert_eq!(
            body_of(&unsigned)["__type"],
            "MissingAuthenticationTokenException"
        );
        store.lock().denied.insert("/quilt-mcp/jwt".into());
        let (_, denied) = store
            .answer(&headers("AmazonSSM.GetParameter", true), get)
            .unwrap();
        assert_eq!(denied.status, StatusCode::BAD_REQUEST);
        assert_eq!(body_of(&denied)["__type"], "AccessDeniedException");
        let seen = store.lock().requests.clone();
        assert_eq!(seen.len(), 5);
        assert_eq!(seen[0].access_key_id.as_deref(), Some("AKIDTEST"));
        assert_eq!(seen[0].region.as_deref(), Some("eu-west-1"));
        assert!(seen[0].with_decryption && !seen[2].with_decryption);
    }
}
