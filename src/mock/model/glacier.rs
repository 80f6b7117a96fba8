//! Archived objects (S3's Glacier storage classes) and their restores, as S3 and the
//! registry's `restoreObject` treat them: an archived version answers HEAD but not GET until a
//! restore completes; a restored copy lasts `days`, and restoring it again only extends it.

use super::packages::PushError;
use super::{Model, ObjectVersion};
use crate::time::format_http_date;

/// One restore of an archived version: when its copy is readable, and until when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Restore {
    pub ready_at: i64,
    pub expires_at: i64,
}

const DAY: i64 = 86_400;

impl ObjectVersion {
    /// Whether GET needs a restore first. `GLACIER_IR` is read directly, as in S3.
    pub fn archived(&self) -> bool {
        matches!(
            self.storage_class.as_deref(),
            Some("GLACIER" | "DEEP_ARCHIVE")
        )
    }

    /// Whether GET answers with the bytes at `now`.
    pub fn readable(&self, now: i64) -> bool {
        !self.archived()
            || self
                .restore
                .is_some_and(|r| r.ready_at <= now && now < r.expires_at)
    }

    /// The `x-amz-restore` header S3 sends for this version at `now`, if any.
    pub fn restore_header(&self, now: i64) -> Option<String> {
        let restore = self.restore.filter(|r| now < r.expires_at)?;
        Some(if now < restore.ready_at {
            "ongoing-request=\"true\"".to_string()
        } else {
            format!(
                "ongoing-request=\"false\", expiry-date=\"{}\"",
                format_http_date(restore.expires_at)
            )
        })
    }
}

impl Model {
    /// Moves a version of an object (none: the current one) to `class` (`GLACIER`,
    /// `DEEP_ARCHIVE`, …), dropping any restored copy; false when there is no such version.
    pub fn archive(&mut self, bucket: &str, key: &str, version: Option<&str>, class: &str) -> bool {
        let Some(version) = self.version_mut(bucket, key, version) else {
            return false;
        };
        version.storage_class = Some(class.to_string());
        version.restore = None;
        true
    }

    fn version_mut(
        &mut self,
        bucket: &str,
        key: &str,
        version: Option<&str>,
    ) -> Option<&mut ObjectVersion> {
        let versions = self.objects.get_mut(bucket)?.get_mut(key)?;
        match version {
            Some(v) => versions.iter_mut().find(|o| o.version_id == v),
            None => versions.last_mut(),
        }
    }

    /// `restoreObject` by `caller_id` at `now`: true when a restored copy already existed (its
    /// expiry is extended), false when a restore started (ready after the stack's
    /// `restore_delay_secs`). Restoring changes the bucket, so it takes write access to it.
    pub fn restore_object(
        &mut self,
        caller_id: i64,
        at: (&str, &str, Option<&str>),
        days: i64,
        now: i64,
    ) -> Result<bool, PushError> {
        let (bucket, key, version) = at;
        let user = self.users.iter().find(|u| u.id == caller_id).cloned();
        let user = user.ok_or_else(|| PushError::Failed("Forbidden", "unknown caller".into()))?;
        if self.bucket(bucket).is_none() {
            return Err(PushError::Failed(
                "BucketNotFound",
                format!("Bucket {bucket} is not in this stack"),
            ));
        }
        if !self.can_write(&user, bucket) {
            return Err(PushError::Failed(
                "Forbidden",
                format!("{} may not restore objects in s3://{bucket}", user.name),
            ));
        }
        if !(1..=365).contains(&days) {
            return Err(PushError::Invalid(
                "days".into(),
                "InvalidDays",
                format!("days must be between 1 and 365, not {days}"),
            ));
        }
        let delay = self.stack.restore_delay_secs;
        let uri = format!("s3://{bucket}/{key}");
        let Some(object) = self.version_mut(bucket, key, version) else {
            return Err(PushError::Failed(
                "NoSuchKey",
                format!("{uri} does not exist (or not in that version)"),
            ));
        };
        if !object.archived() {
            return Err(PushError::Failed(
                "InvalidObjectState",
                format!(
                    "{uri} is in storage class {}, which needs no restore",
                    object.storage_class.as_deref().unwrap_or("STANDARD")
                ),
            ));
        }
        match object.restore.filter(|r| now < r.expires_at) {
            Some(r) if now < r.ready_at => Err(PushError::Failed(
                "RestoreAlreadyInProgress",
                format!("a restore of {uri} is already in progress"),
            )),
            Some(r) => {
                object.restore = Some(Restore {
                    expires_at: r.expires_at.max(now + days * DAY),
                    ..r
                });
                Ok(true)
            }
            None => {
                object.restore = Some(Restore {
                    ready_at: now + delay,
                    expires_at: now + delay + days * DAY,
                });
                Ok(false)
            }
        }
    }
}
