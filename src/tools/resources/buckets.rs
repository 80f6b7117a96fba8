//! `auth://buckets`: the buckets the catalog lists for the caller, each with its title and
//! description and what the caller can do there, probed as `discover_permissions` probes it
//! (list one key, head it; never a write, so write access stays unknown). Read once per
//! conversation, it tells an agent where it may look before it searches or lists.

use schemars::JsonSchema;
use serde::Serialize;
use serde_json::Value;

use crate::tools::buckets::access::{
    CallerRole, PermissionLevel, WRITE_UNKNOWN, caller_role, probe,
};
use crate::tools::buckets::list::catalog_buckets;
use crate::tools::buckets::objects::caller_s3;
use crate::tools::{Ctx, ToolError};

/// Buckets probed at most (two S3 requests each); the rest are listed with access unknown.
const MAX_PROBED: usize = 25;

/// One of the caller's buckets.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CallerBucket {
    pub name: String,
    pub title: String,
    pub description: Option<String>,
    /// What the probes proved: `read` (list and read), `list`, `no_access`, or `unknown`
    /// (not probed, or the probe could not tell).
    pub access: PermissionLevel,
    /// Whether package files in it can be read through browsing sessions.
    pub browsable: bool,
}

/// What `auth://buckets` holds.
#[derive(Debug, Serialize, JsonSchema)]
pub struct CallerBuckets {
    /// Who asked, as the catalog tells it.
    pub user: CallerRole,
    pub buckets: Vec<CallerBucket>,
    pub count: usize,
    /// Why write access is not shown.
    pub write: &'static str,
    pub notes: Vec<String>,
}

pub(super) async fn caller_buckets(ctx: &Ctx) -> Result<Value, ToolError> {
    let (listed, user) = tokio::join!(catalog_buckets(ctx, false), caller_role(ctx));
    let (listed, user) = (listed?, user?);
    let mut notes = Vec::new();
    // Without S3 credentials the list still says what the catalog shows; access is unknown.
    let s3 = match caller_s3(ctx).await {
        Ok(s3) => Some(s3),
        Err(why) => {
            notes.push(format!("access could not be probed: {why}"));
            None
        }
    };
    if listed.len() > MAX_PROBED {
        notes.push(format!(
            "access was probed for the first {MAX_PROBED} of {} buckets; discover_permissions checks others",
            listed.len()
        ));
    }
    let mut buckets = Vec::with_capacity(listed.len());
    for (i, bucket) in listed.into_iter().enumerate() {
        let access = match &s3 {
            Some(s3) if i < MAX_PROBED => probe(s3, &bucket.name).await.level(),
            _ => PermissionLevel::Unknown,
        };
        buckets.push(CallerBucket {
            name: bucket.name,
            title: bucket.title,
            description: bucket.description,
            access,
            browsable: bucket.browsable,
        });
    }
    let answer = CallerBuckets {
        user,
        count: buckets.len(),
        buckets,
        write: WRITE_UNKNOWN,
        notes,
    };
    serde_json::to_value(answer)
        .map_err(|e| ToolError::Failed(format!("could not encode the buckets: {e}")))
}
