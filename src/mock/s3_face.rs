//! The model's S3 face: the calls the bucket tools make (path-style ListObjectsV2,
//! HeadObject, GetObject with `Range` and `versionId`, PutObject with `If-None-Match`),
//! answered from the model's objects with the permissions of whoever the signing key was
//! issued to. The signature itself is not checked; the key is, since it says whose
//! credentials signed: a key the registry never issued is refused (`InvalidAccessKeyId`).

use std::collections::BTreeMap;

use bytes::Bytes;
use http::header::{CONTENT_LENGTH, CONTENT_TYPE, ETAG, LAST_MODIFIED, RANGE};
use http::request::Parts;
use http::{HeaderMap, HeaderValue, StatusCode};

use super::fault::Prepared;
use super::model::{ListRequest, Model, ObjectVersion, s3_time};
use super::s3::{content_type_of, error, escape_xml, ranged};
use crate::http::decode_path_lossy;
use crate::time::{format_http_date, unix_now};

/// The most keys one ListObjectsV2 page returns, as S3.
const MAX_KEYS: usize = 1000;

/// Whether the answer is one a strict test should treat as unexpected (an unsupported call).
pub(crate) struct S3Answer {
    pub answer: Prepared,
    pub supported: bool,
}

fn supported(answer: Prepared) -> S3Answer {
    S3Answer {
        answer,
        supported: true,
    }
}

/// Answers one SigV4-signed request, signed with `key`.
pub(crate) fn answer(
    model: &mut Model,
    key: &str,
    parts: &Parts,
    query: &[(String, String)],
    body: &Bytes,
) -> S3Answer {
    let Some(user) = model.caller_by_access_key(key).cloned() else {
        let message = format!("The AWS access key id {key} does not exist in our records.");
        return supported(error(StatusCode::FORBIDDEN, "InvalidAccessKeyId", &message));
    };
    let path = parts.uri.path().trim_start_matches('/');
    let (bucket, object_key) = path.split_once('/').unwrap_or((path, ""));
    let object_key = decode_path_lossy(object_key);
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    };
    if model.bucket(bucket).is_none() {
        return supported(error(
            StatusCode::NOT_FOUND,
            "NoSuchBucket",
            "The specified bucket does not exist",
        ));
    }
    let method = parts.method.as_str();
    let writing = method == "PUT";
    let allowed = if writing {
        model.can_write(&user, bucket)
    } else {
        model.can_read(&user, bucket)
    };
    if !allowed {
        let action = match (method, object_key.is_empty()) {
            ("PUT", _) => "s3:PutObject",
            (_, true) => "s3:ListBucket",
            _ if param("versionId").is_some() => "s3:GetObjectVersion",
            _ => "s3:GetObject",
        };
        let message = format!(
            "User {} (role {}) is not authorized to perform: {action} on resource: arn:aws:s3:::{bucket}",
            user.name,
            user.role.as_deref().unwrap_or("none")
        );
        return supported(error(StatusCode::FORBIDDEN, "AccessDenied", &message));
    }
    match (method, object_key.is_empty()) {
        ("GET", true) if param("list-type") == Some("2") => supported(list(model, bucket, query)),
        ("GET" | "HEAD", false) => {
            let range = parts.headers.get(RANGE).and_then(|v| v.to_str().ok());
            supported(read(
                model,
                bucket,
                &object_key,
                param("versionId"),
                method == "HEAD",
                range,
            ))
        }
        ("PUT", false) => supported(put(model, bucket, &object_key, parts, body)),
        _ => {
            let message = format!(
                "the embedded catalog does not support {method} {} on S3",
                parts.uri
            );
            S3Answer {
                answer: error(StatusCode::NOT_IMPLEMENTED, "NotImplemented", &message),
                supported: false,
            }
        }
    }
}

fn xml(body: String) -> Prepared {
    let mut headers = HeaderMap::new();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/xml"));
    Prepared {
        status: StatusCode::OK,
        headers,
        body: Bytes::from(body),
    }
}

fn list(model: &Model, bucket: &str, query: &[(String, String)]) -> Prepared {
    let param = |name: &str| {
        query
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.clone())
    };
    let max_keys = match param("max-keys").map(|v| v.parse::<usize>()) {
        None => MAX_KEYS,
        Some(Ok(n)) => n.min(MAX_KEYS),
        Some(Err(_)) => {
            return error(
                StatusCode::BAD_REQUEST,
                "InvalidArgument",
                "max-keys must be an integer",
            );
        }
    };
    let after = param("continuation-token").or(param("start-after"));
    let request = ListRequest {
        prefix: param("prefix").unwrap_or_default(),
        delimiter: param("delimiter").filter(|d| !d.is_empty()),
        max_keys,
        after,
    };
    let page = model.list(bucket, &request);
    let mut out = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<ListBucketResult xmlns=\"http://s3.amazonaws.com/doc/2006-03-01/\">",
    );
    out.push_str(&format!(
        "<Name>{}</Name><Prefix>{}</Prefix>",
        escape_xml(bucket),
        escape_xml(&request.prefix)
    ));
    out.push_str(&format!(
        "<KeyCount>{}</KeyCount><MaxKeys>{max_keys}</MaxKeys>",
        page.contents.len() + page.common_prefixes.len()
    ));
    if let Some(d) = &request.delimiter {
        out.push_str(&format!("<Delimiter>{}</Delimiter>", escape_xml(d)));
    }
    if let Some(token) = param("continuation-token") {
        out.push_str(&format!(
            "<ContinuationToken>{}</ContinuationToken>",
            escape_xml(&token)
        ));
    }
    out.push_str(&format!(
        "<IsTruncated>{}</IsTruncated>",
        page.next.is_some()
    ));
    if let Some(next) = &page.next {
        out.push_str(&format!(
            "<NextContinuationToken>{}</NextContinuationToken>",
            escape_xml(next)
        ));
    }
    for (key, version) in &page.contents {
        out.push_str(&format!(
            "<Contents><Key>{}</Key><LastModified>{}</LastModified><ETag>{}</ETag><Size>{}</Size><StorageClass>{}</StorageClass></Contents>",
            escape_xml(key), s3_time(version.modified), escape_xml(&version.etag), version.size(),
            version.storage_class.as_deref().unwrap_or("STANDARD")
        ));
    }
    for prefix in &page.common_prefixes {
        out.push_str(&format!(
            "<CommonPrefixes><Prefix>{}</Prefix></CommonPrefixes>",
            escape_xml(prefix)
        ));
    }
    out.push_str("</ListBucketResult>");
    xml(out)
}

fn object_headers(key: &str, version: &ObjectVersion, now: i64) -> HeaderMap {
    let mut headers = HeaderMap::new();
    let kind = version
        .content_type
        .clone()
        .unwrap_or_else(|| content_type_of(key).to_string());
    let pairs = [
        (CONTENT_TYPE.as_str().to_string(), kind),
        (ETAG.as_str().to_string(), version.etag.clone()),
        (
            LAST_MODIFIED.as_str().to_string(),
            format_http_date(version.modified),
        ),
        ("x-amz-version-id".to_string(), version.version_id.clone()),
        ("accept-ranges".to_string(), "bytes".to_string()),
    ];
    let meta = version
        .metadata
        .iter()
        .map(|(k, v)| (format!("x-amz-meta-{k}"), v.clone()));
    // S3 names the storage class only when it is not STANDARD, and a restore while one lasts.
    let archive = [
        ("x-amz-storage-class", version.storage_class.clone()),
        ("x-amz-restore", version.restore_header(now)),
    ]
    .into_iter()
    .filter_map(|(name, value)| Some((name.to_string(), value?)));
    for (name, value) in pairs.into_iter().chain(meta).chain(archive) {
        if let (Ok(name), Ok(value)) = (
            http::HeaderName::from_bytes(name.as_bytes()),
            HeaderValue::from_str(&value),
        ) {
            headers.insert(name, value);
        }
    }
    headers
}

pub(crate) fn read(
    model: &Model,
    bucket: &str,
    key: &str,
    version: Option<&str>,
    head: bool,
    range: Option<&str>,
) -> Prepared {
    let Some(object) = model.object(bucket, key, version) else {
        // HEAD answers carry no body, so S3 gives only the status there.
        return match (version, model.object_exists(bucket, key)) {
            (Some(_), true) => error(
                StatusCode::NOT_FOUND,
                "NoSuchVersion",
                "The specified version does not exist.",
            ),
            _ => error(
                StatusCode::NOT_FOUND,
                "NoSuchKey",
                "The specified key does not exist.",
            ),
        };
    };
    let now = unix_now();
    if !head && !object.readable(now) {
        return error(
            StatusCode::FORBIDDEN,
            "InvalidObjectState",
            "The operation is not valid for the object's storage class",
        );
    }
    let mut headers = object_headers(key, object, now);
    if head {
        headers.insert(CONTENT_LENGTH, HeaderValue::from(object.size()));
        return Prepared {
            status: StatusCode::OK,
            headers,
            body: Bytes::new(),
        };
    }
    let whole = Prepared {
        status: StatusCode::OK,
        headers,
        body: object.bytes.clone(),
    };
    match range {
        Some(range) => ranged(whole, range),
        None => whole,
    }
}

fn put(model: &mut Model, bucket: &str, key: &str, parts: &Parts, body: &Bytes) -> Prepared {
    let if_none_match = parts
        .headers
        .get("if-none-match")
        .and_then(|v| v.to_str().ok());
    if if_none_match == Some("*") && model.object(bucket, key, None).is_some() {
        return error(
            StatusCode::PRECONDITION_FAILED,
            "PreconditionFailed",
            "At least one of the pre-conditions you specified did not hold",
        );
    }
    let content_type = parts
        .headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let mut metadata = BTreeMap::new();
    for (name, value) in &parts.headers {
        if let (Some(meta), Ok(value)) = (name.as_str().strip_prefix("x-amz-meta-"), value.to_str())
        {
            metadata.insert(meta.to_string(), value.to_string());
        }
    }
    let version = model.put_object(bucket, key, body.clone(), content_type, metadata);
    let mut headers = HeaderMap::new();
    if let Some(stored) = model.object(bucket, key, Some(&version))
        && let Ok(etag) = HeaderValue::from_str(&stored.etag)
    {
        headers.insert(ETAG, etag);
    }
    if let Ok(value) = HeaderValue::from_str(&version) {
        headers.insert("x-amz-version-id", value);
    }
    Prepared {
        status: StatusCode::OK,
        headers,
        body: Bytes::new(),
    }
}
