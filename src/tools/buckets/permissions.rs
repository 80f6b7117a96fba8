//! `discover_permissions`: what the caller can do on each of their catalog buckets (or the ones
//! named), probed as `check_bucket_access` does, without writing anything.

use std::collections::{BTreeMap, BTreeSet};

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

use crate::tools::buckets::access::{
    CallerRole, PermissionLevel, WRITE_UNKNOWN, caller_role, probe,
};
use crate::tools::buckets::list::{Bucket, catalog_buckets};
use crate::tools::buckets::objects::caller_s3;
use crate::tools::navigation::quilt_uri::bucket_arg;
use crate::tools::{Annotations, Ctx, Tool, ToolError, typed};

/// Buckets probed by one `discover_permissions` call at most (two S3 requests each).
const MAX_BUCKETS: usize = 25;

/// Arguments of `discover_permissions`.
#[derive(Debug, Deserialize, JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DiscoverPermissionsArgs {
    /// Buckets to check, at most 25; empty (the default): every bucket the catalog lists for
    /// this user.
    #[serde(default)]
    pub check_buckets: Vec<String>,
    /// Also check buckets in `check_buckets` that the catalog does not list for this user (other
    /// stacks or accounts); by default they are skipped and named in `skipped`.
    #[serde(default)]
    pub include_cross_account: bool,
    /// Read the catalog's bucket list afresh instead of a copy up to 10 s old. Probe results
    /// are never cached, so they are always fresh.
    #[serde(default)]
    pub force_refresh: bool,
}

/// One probed bucket.
#[derive(Debug, Serialize, JsonSchema)]
pub struct BucketPermission {
    pub name: String,
    pub title: Option<String>,
    /// Whether the catalog lists the bucket for this user.
    pub in_catalog: bool,
    pub permission_level: PermissionLevel,
    pub can_list: Option<bool>,
    pub can_read: Option<bool>,
    pub can_write: Option<bool>,
    /// Why list or read is not `allowed`, when one is not.
    pub detail: Option<String>,
}

/// The result of `discover_permissions`.
#[derive(Debug, Serialize, JsonSchema)]
pub struct DiscoverPermissions {
    pub user: CallerRole,
    pub buckets: Vec<BucketPermission>,
    /// Bucket names by permission level.
    pub categorized: BTreeMap<PermissionLevel, Vec<String>>,
    pub total_buckets_checked: usize,
    /// Named buckets the catalog does not list for this user, not probed.
    pub skipped: Vec<String>,
    /// Why write access is reported unknown.
    pub write: String,
    pub notes: Vec<String>,
}

pub const DISCOVER_PERMISSIONS: Tool = Tool {
    name: "discover_permissions",
    title: "Discover bucket permissions",
    description: "This catalog user's buckets (from the catalog, or the ones named) with what they can do on each: list and read are probed without writing, write is reported unknown; grouped by permission level, with the user's catalog role.",
    annotations: Annotations::READ_ONLY,
    input_schema: || schemars::schema_for!(DiscoverPermissionsArgs),
    output_schema: Some(|| schemars::schema_for!(DiscoverPermissions)),
    call: |ctx, args| typed(ctx, args, discover_permissions),
};

/// The buckets to probe, the ones skipped, and notes on both.
struct Choice {
    names: Vec<String>,
    skipped: Vec<String>,
    notes: Vec<String>,
}

/// The buckets to probe (sorted, at most `MAX_BUCKETS`): the ones asked (none: every known
/// one), without the ones the catalog does not list unless `include_cross_account`.
fn choose_buckets(
    asked: Vec<String>,
    known: &BTreeSet<&str>,
    include_cross_account: bool,
) -> Choice {
    let (mut names, mut skipped) = (Vec::new(), Vec::new());
    if asked.is_empty() {
        names.extend(known.iter().map(|name| name.to_string()));
    }
    for name in asked {
        if known.contains(name.as_str()) || include_cross_account {
            names.push(name);
        } else {
            skipped.push(name);
        }
    }
    names.sort();
    names.dedup();
    let mut notes = Vec::new();
    if names.len() > MAX_BUCKETS {
        notes.push(format!(
            "only the first {MAX_BUCKETS} of {} buckets were checked; name others in check_buckets",
            names.len()
        ));
        names.truncate(MAX_BUCKETS);
    }
    if !skipped.is_empty() {
        notes.push("buckets the catalog does not list for this user were skipped; include_cross_account=true checks them too".into());
    }
    Choice {
        names,
        skipped,
        notes,
    }
}

#[tracing::instrument(skip_all)]
async fn discover_permissions(
    ctx: &Ctx,
    args: DiscoverPermissionsArgs,
) -> Result<DiscoverPermissions, ToolError> {
    let asked = args
        .check_buckets
        .iter()
        .enumerate()
        .map(|(i, b)| bucket_arg(&format!("check_buckets[{i}]"), b))
        .collect::<Result<Vec<_>, _>>()?;
    let s3 = caller_s3(ctx).await?;
    let catalog = catalog_buckets(ctx, args.force_refresh).await?;
    let titles: BTreeMap<&str, &Bucket> = catalog.iter().map(|b| (b.name.as_str(), b)).collect();
    let known: BTreeSet<&str> = titles.keys().copied().collect();
    let choice = choose_buckets(asked, &known, args.include_cross_account);
    let mut buckets = Vec::with_capacity(choice.names.len());
    let mut categorized: BTreeMap<PermissionLevel, Vec<String>> = BTreeMap::new();
    for name in choice.names {
        let access = probe(&s3, &name).await;
        let level = access.level();
        categorized.entry(level).or_default().push(name.clone());
        let detail = [&access.list, &access.read]
            .into_iter()
            .find(|c| c.verdict.flag() != Some(true))
            .and_then(|c| c.why.clone());
        let listed = titles.get(name.as_str());
        buckets.push(BucketPermission {
            title: listed.map(|b| b.title.clone()),
            in_catalog: listed.is_some(),
            name,
            permission_level: level,
            can_list: access.list.verdict.flag(),
            can_read: access.read.verdict.flag(),
            can_write: access.write.verdict.flag(),
            detail,
        });
    }
    Ok(DiscoverPermissions {
        user: caller_role(ctx).await?,
        total_buckets_checked: buckets.len(),
        buckets,
        categorized,
        skipped: choice.skipped,
        write: WRITE_UNKNOWN.to_string(),
        notes: choice.notes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn named_buckets_outside_the_catalog_are_skipped_unless_asked() {
        let known = BTreeSet::from(["a-bucket", "b-bucket"]);
        let all = choose_buckets(Vec::new(), &known, false);
        assert_eq!(all.names, ["a-bucket", "b-bucket"]);
        let asked = vec!["b-bucket".to_string(), "other".to_string()];
        let some = choose_buckets(asked.clone(), &known, false);
        assert_eq!(
            (some.names, some.skipped),
            (vec!["b-bucket".to_string()], vec!["other".to_string()])
        );
        let cross = choose_buckets(asked, &known, true);
        assert_eq!(cross.names, ["b-bucket", "other"]);
    }
}
