//! One caller's S3: the operations the bucket and package tools need (ListObjectsV2, HeadObject,
//! a bounded ranged GetObject, PutObject, a presigned GET), each mapped to plain results and to
//! an [`S3Error`] that names the object, the action and the cause.

use std::collections::BTreeMap;
use std::time::Duration;

use aws_sdk_s3::presigning::PresigningConfig;
use aws_sdk_s3::primitives::{ByteStream, DateTime, DateTimeFormat};

use crate::aws::S3Factory;
use crate::aws::error::{S3Error, S3ErrorKind};
use crate::catalog::{CatalogClient, CatalogError, OnBehalf};

/// IAM action names, as an error message should name them.
const LIST: &str = "s3:ListBucket";
const GET: &str = "s3:GetObject";
const GET_VERSION: &str = "s3:GetObjectVersion";
const PUT: &str = "s3:PutObject";

/// One object (optionally one version of it).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ObjectLocation {
    pub bucket: String,
    pub key: String,
    pub version_id: Option<String>,
}

impl ObjectLocation {
    /// `s3://bucket/key`, with `?versionId=…` when a version is named.
    pub fn uri(&self) -> String {
        match &self.version_id {
            Some(version) => format!("s3://{}/{}?versionId={version}", self.bucket, self.key),
            None => format!("s3://{}/{}", self.bucket, self.key),
        }
    }

    fn read_action(&self) -> &'static str {
        if self.version_id.is_some() {
            GET_VERSION
        } else {
            GET
        }
    }
}

/// One ListObjectsV2 request.
#[derive(Clone, Debug, Default)]
pub struct ListRequest<'a> {
    pub prefix: &'a str,
    /// Group keys into folders at this character (usually `/`).
    pub delimiter: Option<&'a str>,
    pub max_keys: i32,
    pub continuation_token: Option<&'a str>,
}

/// One page of a listing.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ListPage {
    pub objects: Vec<ObjectSummary>,
    /// Common prefixes when a delimiter was given, e.g. `raw/`.
    pub folders: Vec<String>,
    pub is_truncated: bool,
    pub next_continuation_token: Option<String>,
}

/// An object as a listing shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectSummary {
    pub key: String,
    pub size: u64,
    /// RFC 3339, UTC.
    pub last_modified: Option<String>,
    pub etag: Option<String>,
    pub storage_class: Option<String>,
}

/// What HeadObject tells about an object.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectInfo {
    pub size: Option<u64>,
    pub content_type: Option<String>,
    pub last_modified: Option<String>,
    pub etag: Option<String>,
    pub version_id: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub storage_class: Option<String>,
    /// The `x-amz-restore` header of an archived object: a restore in progress or done.
    pub restore: Option<String>,
}

/// The first bytes of an object.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectBytes {
    /// At most the `max_bytes` asked for.
    pub bytes: Vec<u8>,
    /// The object is longer than `bytes`.
    pub truncated: bool,
    /// The whole object's size, when S3 said.
    pub size: Option<u64>,
    pub content_type: Option<String>,
    pub version_id: Option<String>,
}

/// One PutObject.
#[derive(Clone, Debug)]
pub struct PutRequest<'a> {
    pub bucket: &'a str,
    pub key: &'a str,
    pub body: Vec<u8>,
    pub content_type: Option<&'a str>,
    pub metadata: &'a BTreeMap<String, String>,
    /// Replace an existing object; otherwise the put is conditional (`If-None-Match: *`).
    pub overwrite: bool,
}

/// What S3 answered to a PutObject.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PutOutcome {
    pub etag: Option<String>,
    pub version_id: Option<String>,
}

/// S3 as one caller: signed with their temporary credentials, in the catalog's region.
#[derive(Clone, Debug)]
pub struct CallerS3 {
    client: aws_sdk_s3::Client,
    /// When the caller's credentials expire (seconds since the epoch).
    expires_at: i64,
    timeout: Duration,
}

impl CallerS3 {
    /// The caller's S3: their credentials (cached per caller, so usually no exchange at all) and
    /// the region from the catalog's `config.json` (cached for everyone).
    pub async fn connect(
        factory: &S3Factory,
        catalog: &CatalogClient,
        who: OnBehalf<'_>,
    ) -> Result<CallerS3, CatalogError> {
        let region = crate::aws::catalog_region(catalog, who, "S3").await?;
        let region = region.as_str();
        let credentials = catalog.credentials(who).await?;
        Ok(CallerS3 {
            client: factory.client_for(&credentials, region),
            expires_at: credentials.expires_at,
            timeout: factory.timeout(),
        })
    }

    /// When the caller's credentials expire (seconds since the epoch): presigned links die then.
    pub fn credentials_expire_at(&self) -> i64 {
        self.expires_at
    }

    fn fail<E>(
        &self,
        action: &'static str,
        target: String,
        version: Option<&str>,
    ) -> impl FnOnce(aws_sdk_s3::error::SdkError<E>) -> S3Error
    where
        E: aws_sdk_s3::error::ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let secs = self.timeout.as_secs();
        let version = version.map(str::to_string);
        move |e| S3Error::from_sdk(action, target, version.as_deref(), secs, e)
    }

    /// One ListObjectsV2 page.
    pub async fn list(&self, bucket: &str, request: &ListRequest<'_>) -> Result<ListPage, S3Error> {
        let target = format!("s3://{bucket}/{}", request.prefix);
        let output = self
            .client
            .list_objects_v2()
            .bucket(bucket)
            .max_keys(request.max_keys)
            .set_prefix(
                Some(request.prefix)
                    .filter(|p| !p.is_empty())
                    .map(str::to_string),
            )
            .set_delimiter(request.delimiter.map(str::to_string))
            .set_continuation_token(request.continuation_token.map(str::to_string))
            .send()
            .await
            .map_err(self.fail(LIST, target, None))?;
        let objects = output
            .contents()
            .iter()
            .map(|object| ObjectSummary {
                key: object.key().unwrap_or_default().to_string(),
                size: object
                    .size()
                    .and_then(|s| u64::try_from(s).ok())
                    .unwrap_or(0),
                last_modified: object.last_modified().and_then(rfc3339),
                etag: object.e_tag().map(str::to_string),
                storage_class: object.storage_class().map(|c| c.as_str().to_string()),
            })
            .collect();
        let folders = output
            .common_prefixes()
            .iter()
            .filter_map(|p| p.prefix().map(str::to_string))
            .collect();
        Ok(ListPage {
            objects,
            folders,
            is_truncated: output.is_truncated().unwrap_or(false),
            next_continuation_token: output.next_continuation_token().map(str::to_string),
        })
    }

    /// HeadObject: an object's size, type, dates, version and user metadata.
    pub async fn head(&self, at: &ObjectLocation) -> Result<ObjectInfo, S3Error> {
        let output = self
            .client
            .head_object()
            .bucket(&at.bucket)
            .key(&at.key)
            .set_version_id(at.version_id.clone())
            .send()
            .await
            .map_err(self.fail(at.read_action(), at.uri(), at.version_id.as_deref()))?;
        Ok(ObjectInfo {
            size: output.content_length().and_then(|s| u64::try_from(s).ok()),
            content_type: output.content_type().map(str::to_string),
            last_modified: output.last_modified().and_then(rfc3339),
            etag: output.e_tag().map(str::to_string),
            version_id: output.version_id().map(str::to_string),
            metadata: output
                .metadata()
                .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
                .unwrap_or_default(),
            storage_class: output.storage_class().map(|c| c.as_str().to_string()),
            restore: output.restore().map(str::to_string),
        })
    }

    /// At most `max_bytes` from the start of an object: a ranged GetObject for one byte more
    /// than asked (that byte tells a truncated object from a whole one), read under the timeout.
    pub async fn read(&self, at: &ObjectLocation, max_bytes: u64) -> Result<ObjectBytes, S3Error> {
        let sent = self
            .client
            .get_object()
            .bucket(&at.bucket)
            .key(&at.key)
            .set_version_id(at.version_id.clone())
            .range(format!("bytes=0-{max_bytes}"))
            .send()
            .await;
        let output = match sent {
            Ok(output) => output,
            // S3 answers any range of an empty object with 416: the object is simply empty.
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 416) => {
                return Ok(ObjectBytes {
                    bytes: Vec::new(),
                    truncated: false,
                    size: Some(0),
                    content_type: None,
                    version_id: at.version_id.clone(),
                });
            }
            Err(e) => {
                return Err(self.fail(
                    at.read_action(),
                    at.uri(),
                    at.version_id.as_deref(),
                )(e));
            }
        };
        let size = output
            .content_range()
            .and_then(total_of_content_range)
            .or_else(|| output.content_length().and_then(|s| u64::try_from(s).ok()));
        let content_type = output.content_type().map(str::to_string);
        let version_id = output.version_id().map(str::to_string);
        let mut bytes = read_at_most(output.body, max_bytes + 1, self.timeout)
            .await
            .map_err(|kind| S3Error::new(at.read_action(), at.uri(), kind))?;
        let truncated =
            bytes.len() as u64 > max_bytes || size.is_some_and(|total| total > max_bytes);
        bytes.truncate(usize::try_from(max_bytes).unwrap_or(usize::MAX));
        Ok(ObjectBytes {
            bytes,
            truncated,
            size,
            content_type,
            version_id,
        })
    }

    /// PutObject; conditional on the key being free unless `overwrite`.
    pub async fn put(&self, request: PutRequest<'_>) -> Result<PutOutcome, S3Error> {
        let target = format!("s3://{}/{}", request.bucket, request.key);
        let mut put = self
            .client
            .put_object()
            .bucket(request.bucket)
            .key(request.key)
            .body(ByteStream::from(request.body))
            .set_content_type(request.content_type.map(str::to_string));
        for (name, value) in request.metadata {
            put = put.metadata(name, value);
        }
        if !request.overwrite {
            put = put.if_none_match("*");
        }
        let output = put.send().await.map_err(self.fail(PUT, target, None))?;
        Ok(PutOutcome {
            etag: output.e_tag().map(str::to_string),
            version_id: output.version_id().map(str::to_string),
        })
    }

    /// A presigned GET URL, valid for `expires_in` (signed locally: no S3 call).
    pub async fn presign_get(
        &self,
        at: &ObjectLocation,
        expires_in: Duration,
    ) -> Result<String, S3Error> {
        let presigning = PresigningConfig::expires_in(expires_in).map_err(|e| {
            S3Error::new(
                at.read_action(),
                at.uri(),
                S3ErrorKind::Request(e.to_string()),
            )
        })?;
        let request = self
            .client
            .get_object()
            .bucket(&at.bucket)
            .key(&at.key)
            .set_version_id(at.version_id.clone())
            .presigned(presigning)
            .await
            .map_err(self.fail(at.read_action(), at.uri(), at.version_id.as_deref()))?;
        Ok(request.uri().to_string())
    }
}

/// Reads at most `limit` bytes of a body, within `timeout`.
async fn read_at_most(
    mut body: ByteStream,
    limit: u64,
    timeout: Duration,
) -> Result<Vec<u8>, S3ErrorKind> {
    let mut bytes = Vec::new();
    let reading = async {
        while let Some(chunk) = body.try_next().await? {
            bytes.extend_from_slice(&chunk);
            // The rest is never read: dropping the body closes the connection.
            if bytes.len() as u64 >= limit {
                break;
            }
        }
        Ok::<(), aws_sdk_s3::primitives::ByteStreamError>(())
    };
    match tokio::time::timeout(timeout, reading).await {
        Ok(Ok(())) => Ok(bytes),
        Ok(Err(e)) => Err(S3ErrorKind::Unreachable(format!(
            "the object's bytes stopped arriving: {e}"
        ))),
        Err(_) => Err(S3ErrorKind::Timeout(timeout.as_secs())),
    }
}

/// The total of `bytes 0-99/1234`; `None` for `*` or anything unreadable.
fn total_of_content_range(range: &str) -> Option<u64> {
    range.rsplit_once('/')?.1.trim().parse().ok()
}

fn rfc3339(time: &DateTime) -> Option<String> {
    time.fmt(DateTimeFormat::DateTime).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn content_range_totals() {
        assert_eq!(total_of_content_range("bytes 0-99/1234"), Some(1234));
        assert_eq!(total_of_content_range("bytes 0-99/*"), None);
        assert_eq!(total_of_content_range("nonsense"), None);
    }

    #[test]
    fn uris_name_the_version() {
        let mut at = ObjectLocation {
            bucket: "b".into(),
            key: "a/b.csv".into(),
            version_id: None,
        };
        assert_eq!(at.uri(), "s3://b/a/b.csv");
        assert_eq!(at.read_action(), GET);
        at.version_id = Some("v1".into());
        assert_eq!(at.uri(), "s3://b/a/b.csv?versionId=v1");
        assert_eq!(at.read_action(), GET_VERSION);
    }
}
