//! S3 objects and their versions: loading them, listing them as ListObjectsV2 does, writing.

use std::collections::BTreeMap;

use bytes::Bytes;

use super::{Model, dataset, sha256_hex, time};
use crate::time::unix_now;

/// One version of one object.
#[derive(Clone, Debug)]
pub struct ObjectVersion {
    pub version_id: String,
    pub bytes: Bytes,
    pub modified: i64,
    /// The quoted ETag S3 reports.
    pub etag: String,
    /// User metadata set when the version was written (`x-amz-meta-*`).
    pub metadata: BTreeMap<String, String>,
    /// The content type it was written with, if one was given.
    pub content_type: Option<String>,
    /// S3's storage class; `None` is `STANDARD` (S3 then sends no header).
    pub storage_class: Option<String>,
    /// The latest restore of an archived version.
    pub restore: Option<super::glacier::Restore>,
}

impl ObjectVersion {
    fn new(bucket: &str, key: &str, n: usize, bytes: Bytes, modified: i64) -> ObjectVersion {
        // Stable across runs, distinct per bucket, key and version.
        let version_id = sha256_hex(format!("{bucket}/{key}#{n}").as_bytes())[..32].to_string();
        let etag = format!("\"{}\"", &sha256_hex(&bytes)[..32]);
        ObjectVersion {
            version_id,
            bytes,
            modified,
            etag,
            metadata: BTreeMap::new(),
            content_type: None,
            storage_class: None,
            restore: None,
        }
    }

    pub fn size(&self) -> u64 {
        self.bytes.len() as u64
    }
}

/// Fills `model.objects` from `objects/` (current versions) and `history/` (older ones).
pub(super) fn load(
    model: &mut Model,
    default_time: i64,
    object_times: &BTreeMap<String, String>,
    history_times: &BTreeMap<String, String>,
) -> Result<(), String> {
    // bucket/key → [(n, bytes)] of the older versions.
    let mut older: BTreeMap<String, Vec<(usize, &'static [u8])>> = BTreeMap::new();
    for (path, bytes) in dataset::files_under("history") {
        let (object, n) = path
            .rsplit_once('@')
            .ok_or_else(|| format!("history/{path} has no @<n> suffix"))?;
        let n: usize = n
            .parse()
            .map_err(|_| format!("history/{path}: {n:?} is not a version number"))?;
        older
            .entry(object.to_string())
            .or_default()
            .push((n, bytes));
    }
    for (path, bytes) in dataset::files_under("objects") {
        let (bucket, key) = path
            .split_once('/')
            .ok_or_else(|| format!("objects/{path} is not inside a bucket folder"))?;
        let mut versions = Vec::new();
        let mut history = older.remove(&path).unwrap_or_default();
        history.sort_by_key(|(n, _)| *n);
        for (n, old) in &history {
            let at = match history_times.get(&format!("{path}@{n}")) {
                Some(t) => time(t)?,
                None => default_time - 86_400 * (history.len() + 1 - n) as i64,
            };
            versions.push(ObjectVersion::new(
                bucket,
                key,
                *n,
                Bytes::from_static(old),
                at,
            ));
        }
        let at = match object_times.get(&path) {
            Some(t) => time(t)?,
            None => default_time,
        };
        let n = history.len() + 1;
        versions.push(ObjectVersion::new(
            bucket,
            key,
            n,
            Bytes::from_static(bytes),
            at,
        ));
        model
            .objects
            .entry(bucket.to_string())
            .or_default()
            .insert(key.to_string(), versions);
    }
    match older.keys().next() {
        Some(orphan) => Err(format!(
            "history/{orphan}@… has no current object in objects/"
        )),
        None => Ok(()),
    }
}

/// `s3://bucket/key[?versionId=v]` split into its parts (the key percent-decoded is not
/// needed: Quilt writes physical keys with plain keys).
pub fn parse_s3_uri(uri: &str) -> Option<(String, String, Option<String>)> {
    let rest = uri.strip_prefix("s3://")?;
    let (path, version) = match rest.split_once("?versionId=") {
        Some((path, version)) => (path, Some(version.to_string())),
        None => (rest, None),
    };
    let (bucket, key) = path.split_once('/')?;
    (!bucket.is_empty() && !key.is_empty()).then(|| (bucket.to_string(), key.to_string(), version))
}

/// A ListObjectsV2 request.
#[derive(Clone, Debug, Default)]
pub struct ListRequest {
    pub prefix: String,
    pub delimiter: Option<String>,
    pub max_keys: usize,
    /// Where the previous page stopped (our continuation token is the last key or prefix).
    pub after: Option<String>,
}

/// One page of a listing.
#[derive(Clone, Debug, Default)]
pub struct ListedPage {
    /// (key, current version) of each object on the page.
    pub contents: Vec<(String, ObjectVersion)>,
    pub common_prefixes: Vec<String>,
    /// Set when there is more: the token for the next page.
    pub next: Option<String>,
}

impl Model {
    /// An object's version (`None`: the current one).
    pub fn object(&self, bucket: &str, key: &str, version: Option<&str>) -> Option<&ObjectVersion> {
        let versions = self.objects.get(bucket)?.get(key)?;
        match version {
            Some(v) => versions.iter().find(|o| o.version_id == v),
            None => versions.last(),
        }
    }

    /// Whether any version of `key` exists (to tell a bad version from a missing key).
    pub fn object_exists(&self, bucket: &str, key: &str) -> bool {
        self.objects
            .get(bucket)
            .is_some_and(|b| b.contains_key(key))
    }

    /// ListObjectsV2 over the current versions: keys in order, grouped by `delimiter` after
    /// the prefix, `max_keys` keys and prefixes per page.
    pub fn list(&self, bucket: &str, request: &ListRequest) -> ListedPage {
        let mut page = ListedPage::default();
        let Some(objects) = self.objects.get(bucket) else {
            return page;
        };
        let mut last_prefix: Option<String> = None;
        let mut count = 0;
        for (key, versions) in objects.range(request.prefix.clone()..) {
            if !key.starts_with(&request.prefix) {
                break;
            }
            let rest = &key[request.prefix.len()..];
            let grouped = request
                .delimiter
                .as_deref()
                .filter(|d| !d.is_empty())
                .and_then(|d| {
                    rest.find(d)
                        .map(|i| format!("{}{}", request.prefix, &rest[..i + d.len()]))
                });
            let item = grouped.clone().unwrap_or_else(|| key.clone());
            if request
                .after
                .as_ref()
                .is_some_and(|after| item.as_str() <= after.as_str())
            {
                continue;
            }
            if grouped.is_some() && grouped == last_prefix {
                continue;
            }
            if count == request.max_keys {
                // The token is the last item sent, whichever kind it was.
                page.next = Some(last_item(&page));
                break;
            }
            count += 1;
            match grouped {
                Some(prefix) => {
                    page.common_prefixes.push(prefix.clone());
                    last_prefix = Some(prefix);
                }
                None => {
                    if let Some(current) = versions.last() {
                        page.contents.push((key.clone(), current.clone()));
                    }
                }
            }
        }
        page
    }

    /// PutObject: a new current version. Returns its version id.
    pub fn put_object(
        &mut self,
        bucket: &str,
        key: &str,
        bytes: Bytes,
        content_type: Option<String>,
        metadata: BTreeMap<String, String>,
    ) -> String {
        let serial = self.mint("put");
        let versions = self
            .objects
            .entry(bucket.to_string())
            .or_default()
            .entry(key.to_string())
            .or_default();
        let mut version = ObjectVersion::new(bucket, key, versions.len() + 1, bytes, unix_now());
        // Ids minted during the run also carry the serial, so a restart never reuses one.
        version.version_id = serial;
        version.content_type = content_type;
        version.metadata = metadata;
        let id = version.version_id.clone();
        versions.push(version);
        id
    }
}

/// The last key or prefix on a page, whichever sorts last.
fn last_item(page: &ListedPage) -> String {
    let key = page
        .contents
        .last()
        .map(|c| c.0.as_str())
        .unwrap_or_default();
    let prefix = page
        .common_prefixes
        .last()
        .map(String::as_str)
        .unwrap_or_default();
    key.max(prefix).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn s3_uris_split_into_bucket_key_and_version() {
        assert_eq!(
            parse_s3_uri("s3://b/a/c.csv?versionId=v1"),
            Some(("b".into(), "a/c.csv".into(), Some("v1".into())))
        );
        assert_eq!(
            parse_s3_uri("s3://b/k"),
            Some(("b".into(), "k".into(), None))
        );
        assert_eq!(parse_s3_uri("s3://b/"), None);
        assert_eq!(parse_s3_uri("https://b/k"), None);
    }

    #[test]
    fn listings_page_through_keys_and_prefixes_without_repeats() {
        let model = Model::pristine().expect("dataset");
        let bucket = "example-data";
        let all: Vec<String> = model.objects[bucket].keys().cloned().collect();
        for delimiter in [None, Some("/".to_string())] {
            let mut seen = Vec::new();
            let mut after = None;
            loop {
                let request = ListRequest {
                    prefix: String::new(),
                    delimiter: delimiter.clone(),
                    max_keys: 7,
                    after,
                };
                let page = model.list(bucket, &request);
                seen.extend(page.contents.iter().map(|c| c.0.clone()));
                seen.extend(page.common_prefixes.iter().cloned());
                match page.next {
                    Some(next) => after = Some(next),
                    None => break,
                }
            }
            let unique: std::collections::BTreeSet<_> = seen.iter().collect();
            assert_eq!(unique.len(), seen.len(), "no item twice");
            if delimiter.is_none() {
                assert_eq!(seen, all);
            }
        }
    }
}
