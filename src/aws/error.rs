//! Every way an S3 call can fail, named by the object, the IAM action and the cause, each with a
//! message that tells the agent what to do next.

use std::fmt;

use aws_sdk_s3::error::{DisplayErrorContext, ProvideErrorMetadata, SdkError};

use crate::tool_error::ToolError;

/// What went wrong with one S3 call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum S3ErrorKind {
    /// `NoSuchBucket`.
    NoSuchBucket,
    /// `NoSuchKey`, or a 404 without a body (HEAD).
    NoSuchKey,
    /// `NoSuchVersion`, or a 404 for a request naming a version.
    NoSuchVersion(String),
    /// `AccessDenied` or another 403: the caller's role lacks the action.
    AccessDenied,
    /// S3 refused the credentials themselves (`InvalidAccessKeyId`, `ExpiredToken`, …): the code.
    CredentialsRefused(String),
    /// `InvalidObjectState` on a read: the object is archived (Glacier) and not restored.
    Archived,
    /// `PreconditionFailed` on a write that must not replace an object: it exists.
    AlreadyExists,
    /// The bucket lives in another region than the catalog's: the region S3 named, if any.
    WrongRegion(Option<String>),
    /// No answer within the operation timeout (seconds).
    Timeout(u64),
    /// Could not connect, or the connection broke.
    Unreachable(String),
    /// Any other answer: status, S3 error code and message.
    Service {
        status: u16,
        code: String,
        message: String,
    },
    /// The request could not be made (e.g. an argument the SDK refuses).
    Request(String),
}

/// A failed S3 call: which action on which object, and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct S3Error {
    /// The IAM action the call needs, e.g. `s3:GetObject`.
    pub action: &'static str,
    /// The bucket, prefix or object it was for, as an `s3://` URI.
    pub target: String,
    pub kind: S3ErrorKind,
}

impl S3Error {
    /// An error of `kind` for `action` on `target`.
    pub fn new(action: &'static str, target: impl Into<String>, kind: S3ErrorKind) -> Self {
        S3Error {
            action,
            target: target.into(),
            kind,
        }
    }

    /// Classifies an SDK failure. `version` is the version id the request named, if any: S3
    /// answers a missing version of a HEAD with a bare 404 (or 400).
    pub fn from_sdk<E>(
        action: &'static str,
        target: impl Into<String>,
        version: Option<&str>,
        timeout_secs: u64,
        error: SdkError<E>,
    ) -> Self
    where
        E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
    {
        let status = error.raw_response().map(|r| r.status().as_u16());
        let code = error.code().unwrap_or_default().to_string();
        let message = error.message().unwrap_or_default().to_string();
        let bucket_region = error
            .raw_response()
            .and_then(|r| r.headers().get("x-amz-bucket-region"))
            .map(str::to_string);
        let version_missing = || S3ErrorKind::NoSuchVersion(version.unwrap_or_default().into());
        let kind = match (&error, code.as_str(), status) {
            (SdkError::TimeoutError(_), _, _) => S3ErrorKind::Timeout(timeout_secs),
            (SdkError::DispatchFailure(failure), _, _) if failure.is_timeout() => {
                S3ErrorKind::Timeout(timeout_secs)
            }
            (SdkError::DispatchFailure(_), _, _) => {
                S3ErrorKind::Unreachable(DisplayErrorContext(&error).to_string())
            }
            (SdkError::ConstructionFailure(_), _, _) => {
                S3ErrorKind::Request(DisplayErrorContext(&error).to_string())
            }
            (_, "NoSuchBucket", _) => S3ErrorKind::NoSuchBucket,
            (
                _,
                "PermanentRedirect"
                | "AuthorizationHeaderMalformed"
                | "IllegalLocationConstraintException",
                _,
            )
            | (_, _, Some(301)) => S3ErrorKind::WrongRegion(bucket_region),
            (_, "NoSuchVersion", _) => version_missing(),
            (_, "NoSuchKey" | "NotFound", _) | (_, _, Some(404)) if version.is_some() => {
                version_missing()
            }
            (_, "NoSuchKey" | "NotFound", _) | (_, _, Some(404)) => S3ErrorKind::NoSuchKey,
            (_, _, Some(400)) if version.is_some() && code.is_empty() => version_missing(),
            (
                _,
                "InvalidAccessKeyId"
                | "ExpiredToken"
                | "InvalidToken"
                | "TokenRefreshRequired"
                | "SignatureDoesNotMatch",
                _,
            ) => S3ErrorKind::CredentialsRefused(code.clone()),
            // Before the 403 arm: S3 answers a read of an unrestored archived object with 403.
            (_, "InvalidObjectState", _) => S3ErrorKind::Archived,
            (_, "AccessDenied" | "AllAccessDisabled", _) | (_, _, Some(403)) => {
                S3ErrorKind::AccessDenied
            }
            (_, "PreconditionFailed", _) | (_, _, Some(412)) => S3ErrorKind::AlreadyExists,
            (_, _, Some(status)) => S3ErrorKind::Service {
                status,
                code,
                message,
            },
            (_, _, None) => S3ErrorKind::Unreachable(DisplayErrorContext(&error).to_string()),
        };
        S3Error::new(action, target, kind)
    }
}

impl fmt::Display for S3Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (action, target) = (self.action, &self.target);
        match &self.kind {
            S3ErrorKind::NoSuchBucket => write!(
                f,
                "no such bucket for {target} (NoSuchBucket); bucket_list shows the catalog's buckets"
            ),
            S3ErrorKind::NoSuchKey => write!(
                f,
                "no object at {target} (NoSuchKey, or the bucket does not exist); bucket_objects_list shows what is there"
            ),
            S3ErrorKind::NoSuchVersion(version) => write!(
                f,
                "version {version:?} of {target} does not exist (NoSuchVersion); bucket_object_info without a versionId shows the current version"
            ),
            S3ErrorKind::AccessDenied => write!(
                f,
                "access denied: this catalog user's credentials do not allow {action} on {target} (AccessDenied); check_bucket_access shows what they can do, and a catalog admin can grant more"
            ),
            S3ErrorKind::CredentialsRefused(code) => write!(
                f,
                "S3 refused this catalog user's temporary credentials for {action} on {target} ({code}); log in to the catalog again and retry with a fresh token"
            ),
            S3ErrorKind::AlreadyExists => write!(
                f,
                "{target} already exists and was left unchanged; pass overwrite=true to replace it"
            ),
            S3ErrorKind::WrongRegion(region) => write!(
                f,
                "{target} is in another AWS region ({}) than the catalog (config.json `region`); this server signs S3 calls for the catalog's region only",
                region.as_deref().unwrap_or("not named by S3")
            ),
            S3ErrorKind::Timeout(secs) => write!(
                f,
                "S3 did not answer {action} on {target} within {secs} s; try again later or ask for less"
            ),
            S3ErrorKind::Unreachable(why) => {
                write!(f, "could not reach S3 for {action} on {target}: {why}")
            }
            S3ErrorKind::Archived => write!(
                f,
                "{target} is archived (a Glacier storage class) and cannot be read until it is restored (InvalidObjectState): call bucket_object_restore with this s3_uri, then read it again once bucket_object_info shows the restore done"
            ),
            S3ErrorKind::Service {
                status,
                code,
                message,
            } => write!(
                f,
                "S3 answered {action} on {target} with HTTP {status} {code}: {message}"
            ),
            S3ErrorKind::Request(why) => {
                write!(
                    f,
                    "could not make the S3 request {action} on {target}: {why}"
                )
            }
        }
    }
}

impl std::error::Error for S3Error {}

impl From<S3Error> for ToolError {
    fn from(error: S3Error) -> Self {
        ToolError::Failed(error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::config::http::HttpResponse;
    use aws_sdk_s3::error::ErrorMetadata;
    use aws_sdk_s3::operation::head_object::HeadObjectError;
    use aws_sdk_s3::primitives::SdkBody;

    fn failure(status: u16, code: &str, headers: &[(&str, &str)]) -> SdkError<HeadObjectError> {
        let mut response = http::Response::builder().status(status);
        for (name, value) in headers {
            response = response.header(*name, *value);
        }
        let raw = HttpResponse::try_from(response.body(SdkBody::empty()).unwrap()).unwrap();
        let mut meta = ErrorMetadata::builder().message("m");
        if !code.is_empty() {
            meta = meta.code(code);
        }
        SdkError::service_error(HeadObjectError::generic(meta.build()), raw)
    }

    fn kind(status: u16, code: &str, version: Option<&str>) -> S3ErrorKind {
        S3Error::from_sdk(
            "s3:GetObject",
            "s3://b/k",
            version,
            5,
            failure(status, code, &[]),
        )
        .kind
    }

    #[test]
    fn s3_answers_become_named_causes() {
        assert_eq!(kind(404, "NoSuchKey", None), S3ErrorKind::NoSuchKey);
        assert_eq!(kind(404, "", None), S3ErrorKind::NoSuchKey);
        assert_eq!(
            kind(404, "", Some("v1")),
            S3ErrorKind::NoSuchVersion("v1".into())
        );
        assert_eq!(
            kind(400, "", Some("v1")),
            S3ErrorKind::NoSuchVersion("v1".into())
        );
        assert_eq!(kind(404, "NoSuchBucket", None), S3ErrorKind::NoSuchBucket);
        assert_eq!(kind(403, "", None), S3ErrorKind::AccessDenied);
        assert_eq!(kind(403, "AccessDenied", None), S3ErrorKind::AccessDenied);
        assert_eq!(
            kind(403, "ExpiredToken", None),
            S3ErrorKind::CredentialsRefused("ExpiredToken".into())
        );
        assert_eq!(
            kind(412, "PreconditionFailed", None),
            S3ErrorKind::AlreadyExists
        );
        assert!(matches!(
            kind(500, "InternalError", None),
            S3ErrorKind::Service { status: 500, .. }
        ));
        let moved = failure(
            301,
            "PermanentRedirect",
            &[("x-amz-bucket-region", "eu-west-1")],
        );
        let error = S3Error::from_sdk("s3:ListBucket", "s3://b/", None, 5, moved);
        assert_eq!(
            error.kind,
            S3ErrorKind::WrongRegion(Some("eu-west-1".into()))
        );
        assert!(error.to_string().contains("eu-west-1"));
    }

    #[test]
    fn messages_name_the_object_and_the_action() {
        let denied = S3Error::new("s3:PutObject", "s3://b/k", S3ErrorKind::AccessDenied);
        let text = denied.to_string();
        assert!(
            text.contains("s3:PutObject") && text.contains("s3://b/k"),
            "{text}"
        );
        let timeout = S3Error::new("s3:GetObject", "s3://b/k", S3ErrorKind::Timeout(5));
        assert!(timeout.to_string().contains("within 5 s"));
    }
}
